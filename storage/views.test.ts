// The views after migrations 008–010 (span_facts by day, run_totals, time-bounded views)
// answer exactly what the views before them answered, on realistic runs over several days
// stored before the upgrade, after it, and again under another dedup token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunsGenerator } from '../bench/views/runs-generator.ts';
import type { EnrichedSpan } from '../core/span.ts';
import { createProcessorChain } from '../processors/chain.ts';
import { ChdbStore } from './chdb/chdb-store.ts';
import { loadMigrations, migrate, storeRunner } from './migrate.ts';

const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 20, 12);
const root = mkdtempSync(join(tmpdir(), 'flowtrace-views-'));
const store = new ChdbStore({ dataDir: join(root, 'data') });
const chain = createProcessorChain();

/** Realistic runs started over the three days before END, in two projects. */
function runs(seed: number, count: number): EnrichedSpan[] {
  const generator = new RunsGenerator({ seed, endMs: END, spreadMs: 3 * DAY, otherProjectShare: 0.3 });
  return chain.process(Array.from({ length: count }, () => generator.run(generator.nextStartMs(), 20 + (seed % 7) * 5)).flatMap((run) => run.spans));
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await store.query(sql)).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

const EVER = "from = toDateTime64(0, 9), to = toDateTime64('2262-04-11 00:00:00', 9, 'UTC')";
const RUNS = 'ORDER BY ProjectId, RunId';
const FAILURES = 'ORDER BY ProjectId, TraceId, SpanId';
const before: { runs: Record<string, unknown>[]; failures: Record<string, unknown>[] } = { runs: [], failures: [] };
const stored = runs(1, 60);

beforeAll(async () => {
  // The schema as it was before 008, with spans in it.
  await migrate(storeRunner(store), { migrations: loadMigrations().filter((m) => m.version <= 7) });
  await store.insertSpans(stored, 'views-before');
  before.runs = await rows(`SELECT * FROM runs ${RUNS}`);
  before.failures = await rows(`SELECT * FROM failures ${FAILURES}`);
  await store.migrate();
});

afterAll(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('upgrading an existing store', () => {
  it('keeps every span, now partitioned by day, and every run and failure as they were', async () => {
    expect(before.runs.length).toBe(60);
    expect(before.failures.length).toBeGreaterThan(0);
    const parts = await rows("SELECT DISTINCT partition FROM system.parts WHERE active AND database = currentDatabase() AND table = 'span_facts' ORDER BY partition");
    const days = new Set(stored.map((s) => new Date(Number(s.startTimeUnixNano / 1_000_000n)).toISOString().slice(0, 10)));
    expect(parts.map((p) => p.partition)).toEqual([...days].sort());
    expect(await rows(`SELECT * FROM runs ${RUNS}`)).toEqual(before.runs);
    expect(await rows(`SELECT * FROM failures ${FAILURES}`)).toEqual(before.failures);
  });

  it('indexes every stored run in run_totals', async () => {
    const index = await rows(`SELECT ProjectId, RunId, toString(min(StartTime)) AS StartTime, toString(max(EndTime)) AS EndTime,
      groupUniqArrayArray(RunStatuses) AS Statuses FROM run_totals GROUP BY ProjectId, RunId ${RUNS}`);
    expect(index.map((r) => [r.ProjectId, r.RunId, r.StartTime, r.EndTime])).toEqual(
      before.runs.map((r) => [r.ProjectId, r.RunId, r.StartTime, r.EndTime]),
    );
    for (const [i, run] of before.runs.entries()) {
      expect(index[i]!.Statuses).toEqual(run.Status === 'running' ? [] : [run.Status]);
    }
  });
});

describe('after the upgrade', () => {
  beforeAll(async () => {
    await store.insertSpans(runs(2, 40), 'views-after');
    // Some spans again under another token: only FINAL (or an aggregate blind to repeats) hides them.
    await store.insertSpans(stored.slice(0, 500), 'views-again');
  });

  it('counts and sums each span once, and run_totals keeps exact bounds and an upper bound on cost', async () => {
    const all = await rows(`SELECT * FROM runs ${RUNS}`);
    expect(all.length).toBe(100);
    expect(all.filter((r) => before.runs.some((b) => b.RunId === r.RunId))).toEqual(before.runs);
    const index = await rows(`SELECT RunId, toString(min(StartTime)) AS StartTime, toString(max(EndTime)) AS EndTime, sum(CostUsd) AS Cost
      FROM run_totals GROUP BY ProjectId, RunId ${RUNS}`);
    expect(index.map((r) => [r.RunId, r.StartTime, r.EndTime])).toEqual(all.map((r) => [r.RunId, r.StartTime, r.EndTime]));
    for (const [i, run] of all.entries()) expect(Number(index[i]!.Cost)).toBeGreaterThanOrEqual(Number(run.CostUsd ?? 0));
  });

  it('runs_from_totals is runs for every run stored once, and leaves out the runs with a repeated span', async () => {
    const all = await rows(`SELECT * FROM runs ${RUNS}`);
    const fromTotals = await rows(`SELECT * FROM runs_from_totals ${RUNS}`);
    const repeated = new Set(stored.slice(0, 500).map((s) => s.run.runId));
    expect(repeated.size).toBeGreaterThan(1);
    expect(fromTotals).toEqual(all.filter((r) => !repeated.has(r.RunId as string)));
  });

  it('run_totals_between over all time is runs', async () => {
    expect(await rows(`SELECT * FROM run_totals_between(${EVER}) ${RUNS}`)).toEqual(await rows(`SELECT * FROM runs ${RUNS}`));
  });

  it('runs_started_between has the runs that started in the range, with complete totals', async () => {
    // A day-long range in the middle: runs that began before it and ran into it are not in it.
    const from = "toDateTime64('2026-11-18 18:00:00', 9, 'UTC')";
    const to = "toDateTime64('2026-11-19 18:00:00', 9, 'UTC')";
    const inRange = await rows(`SELECT * FROM runs_started_between(from = ${from}, to = ${to}) ${RUNS}`);
    expect(inRange.length).toBeGreaterThan(10);
    expect(inRange).toEqual(await rows(`SELECT * FROM runs WHERE StartTime >= ${from} AND StartTime <= ${to} ${RUNS}`));
  });

  it('failures_between is failures in the range, outcomes included', async () => {
    const from = "toDateTime64('2026-11-18 18:00:00', 9, 'UTC')";
    const to = "toDateTime64('2026-11-19 18:00:00', 9, 'UTC')";
    const inRange = await rows(`SELECT * FROM failures_between(from = ${from}, to = ${to}) ${FAILURES}`);
    expect(inRange.length).toBeGreaterThan(0);
    expect(new Set(inRange.map((f) => f.Outcome))).toEqual(new Set(['recovered', 'terminal']));
    expect(inRange).toEqual(await rows(`SELECT * FROM failures WHERE Timestamp >= ${from} AND Timestamp <= ${to} ${FAILURES}`));
    expect(await rows(`SELECT * FROM failures_between(${EVER}) ${FAILURES}`)).toEqual(await rows(`SELECT * FROM failures ${FAILURES}`));
  });
});
