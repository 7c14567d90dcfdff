// The csv_stats tool of the CSV→Analysis→Write-up demo: column statistics of CSV text, so
// the llm nodes reason over numbers computed exactly instead of re-reading raw rows.
// Load it with `flowtrace run ... --tools executor/demos/csv-stats.ts`.
import { parse } from 'csv-parse/sync';
import { ToolError, type ToolFunction } from '../tools/types.ts';

export interface NumericColumn {
  count: number;
  min: number;
  max: number;
  sum: number;
  mean: number;
}

export interface CategoricalColumn {
  distinct: number;
  /** The most frequent value and how often it occurs. */
  top: [string, number];
}

export interface CsvStats {
  rows: number;
  columns: string[];
  numeric: Record<string, NumericColumn>;
  categorical: Record<string, CategoricalColumn>;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

function numericColumn(values: number[]): NumericColumn {
  const sum = values.reduce((total, value) => total + value, 0);
  return { count: values.length, min: Math.min(...values), max: Math.max(...values), sum: round(sum), mean: round(sum / values.length) };
}

function categoricalColumn(values: string[]): CategoricalColumn {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
  return { distinct: counts.size, top };
}

export function csvStats(text: string): CsvStats {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new ToolError('parse_error', `csv_stats: ${(err as Error).message}`);
  }
  const columns = records.length ? Object.keys(records[0]!) : [];
  const stats: CsvStats = { rows: records.length, columns, numeric: {}, categorical: {} };
  for (const column of columns) {
    const values = records.map((record) => record[column] ?? '').filter((value) => value !== '');
    const numbers = values.map(Number);
    if (values.length && numbers.every(Number.isFinite)) stats.numeric[column] = numericColumn(numbers);
    else stats.categorical[column] = categoricalColumn(values);
  }
  return stats;
}

export const tools: Record<string, ToolFunction> = {
  csv_stats: (args) => {
    if (typeof args.csv !== 'string') throw new ToolError('invalid_request', 'csv_stats: argument csv must be CSV text');
    return csvStats(args.csv);
  },
};
