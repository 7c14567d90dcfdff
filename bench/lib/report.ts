// Shared by the benchmarks: percentiles, and writing one section of BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS_FILE = join(fileURLToPath(new URL('../..', import.meta.url)), 'BENCHMARKS.md');

/** Nearest-rank percentile of `values` (0 < p ≤ 100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/**
 * Replaces the section `## <name>` of BENCHMARKS.md (or appends it) with `body`,
 * stamped with the machine and date, so each benchmark owns exactly its section.
 */
export function recordSection(name: string, body: string): void {
  const header = `## ${name}`;
  // The machine is shared: the load average says how much else ran during the measurement.
  const load = loadavg().map((l) => l.toFixed(1)).join(' / ');
  const section = `${header}\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine()}; load average (1 / 5 / 15 min) at the end: ${load}.\n\n${body.trim()}\n`;
  const current = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : '# Benchmarks\n\nEach section is rewritten by its `npm run bench:<name>` script.\n';
  const start = current.indexOf(`${header}\n`);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const end = current.indexOf('\n## ', start + header.length);
    next = current.slice(0, start) + section + (end < 0 ? '' : `\n${current.slice(end + 1)}`);
  }
  writeFileSync(BENCHMARKS_FILE, next.endsWith('\n') ? next : `${next}\n`);
}

/** A markdown table from rows of [label, value, target?]. */
export function table(rows: Array<[string, string, string?]>): string {
  return ['| figure | value | target |', '|---|---|---|', ...rows.map(([k, v, t]) => `| ${k} | ${v} | ${t ?? ''} |`)].join('\n');
}
