// Helpers for the service's rows in ClickHouse: times go in as UTC text (the columns are
// DateTime64(3, 'UTC')) and come back as epoch milliseconds.
import type { SpanStore } from '../storage/store.ts';

/** `2026-11-21 06:30:00.123` (UTC) for a DateTime64(3, 'UTC') column. */
export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Runs a parameterised SELECT and parses its JSONEachRow output. */
export async function selectRows<T>(store: Pick<SpanStore, 'execute'>, sql: string, params: Record<string, string>): Promise<T[]> {
  const result = await store.execute({ sql, params, format: 'JSONEachRow' });
  const rows: T[] = [];
  for (const line of result.body.toString('utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line) as T);
  return rows;
}

/** Appends rows with one INSERT. */
export async function insertRows(store: Pick<SpanStore, 'execute'>, table: string, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  let data = '';
  for (const row of rows) data += `${JSON.stringify(row)}\n`;
  await store.execute({ sql: `INSERT INTO ${table} FORMAT JSONEachRow`, data: Buffer.from(data) });
}
