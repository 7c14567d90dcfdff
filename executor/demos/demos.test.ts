import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileResponseCache } from '../cache/index.ts';
import { loadWorkflow, runWorkflow, type RunWorkflowOptions, type WorkflowSpec } from '../index.ts';
import { useHarness } from '../runtime/test-support.ts';
import { csvStats, tools } from './csv-stats.ts';

const demo = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

const harness = useHarness();
let research: WorkflowSpec;
let csv: WorkflowSpec;
let cacheDir: string;

beforeAll(async () => {
  research = await loadWorkflow(demo('research-summarize-decide-deep.json'));
  csv = await loadWorkflow(demo('csv-analysis-writeup.json'), { tools });
});
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'flowtrace-demo-cache-'));
  return () => rm(cacheDir, { recursive: true, force: true });
});

const options = (extra: RunWorkflowOptions = {}): RunWorkflowOptions => ({
  runner: harness.runner(new FileResponseCache({ dir: cacheDir })),
  telemetry: harness.captured.telemetry,
  tools,
  ...extra,
});
const outputs = (steps: Array<{ nodeId: string; output?: unknown }>) => Object.fromEntries(steps.map((s) => [s.nodeId, s.output]));

describe('Research→Summarize→Decide→Deep', () => {
  it('runs offline on its defaults, taking the shallow branch for a short summary', async () => {
    const summary = await runWorkflow(research, options());
    expect(summary.status).toBe('succeeded');
    expect(summary.steps.map((s) => [s.nodeId, s.status])).toEqual([
      ['research', 'succeeded'],
      ['summarize', 'succeeded'],
      ['decide', 'succeeded'],
      ['deep', 'skipped'],
      ['shallow', 'succeeded'],
    ]);
    expect(harness.calls('gpt-4o-mini')).toBe(1);
    expect(harness.calls('claude-sonnet-4-20250514')).toBe(0);
  });

  it('goes deep on long notes, falls back to Anthropic when OpenAI fails, and repeats from the cache', async () => {
    await harness.reset({ faults: [{ model: 'gpt-4o-mini', fault: 'unavailable' }] });
    const inputs = { notes: 'A long report. [[sim:tokens=700]]' };
    const first = await runWorkflow(research, options({ inputs }));
    expect(first.status).toBe('succeeded');
    const byNode = Object.fromEntries(first.steps.map((s) => [s.nodeId, s]));
    expect(byNode.summarize).toMatchObject({ fallbackUsed: true, provider: 'anthropic', model: 'claude-3-5-haiku-latest' });
    expect(byNode.decide!.branch).toBe('deep');
    expect(byNode.deep!.status).toBe('succeeded');
    expect(first.totals).toMatchObject({ fallbacks: 1, cacheHits: 0 });

    const again = await runWorkflow(research, options({ inputs }));
    expect(again.totals).toMatchObject({ cacheHits: 2, llmCalls: 0, costUsd: '0' });
    expect(outputs(again.steps)).toEqual(outputs(first.steps));
  });
});

describe('CSV→Analysis→Write-up', () => {
  it('computes the statistics exactly and writes up the analysis', async () => {
    const summary = await runWorkflow(csv, options());
    expect(summary.status).toBe('succeeded');
    const out = outputs(summary.steps);
    // Independent arithmetic over the default CSV.
    const rows = (csv.inputs!.csv!.default as string).trim().split('\n').slice(1).map((line) => line.split(','));
    const revenue = rows.map((row) => Number(row[3]));
    expect(out.numbers).toMatchObject({
      units: { count: 8, sum: rows.reduce((total, row) => total + Number(row[2]), 0) },
      revenue: { min: Math.min(...revenue), max: Math.max(...revenue), sum: revenue.reduce((a, b) => a + b, 0) },
    });
    expect(out.stats).toMatchObject({ rows: 8, columns: ['region', 'product', 'units', 'revenue'], categorical: { product: { distinct: 2 } } });
    expect(typeof out.writeup).toBe('string');
    expect(summary.steps.map((s) => s.status)).toEqual(Array(6).fill('succeeded'));
    expect(summary.totals.llmCalls).toBe(2);
  });

  it('rejects CSV it cannot parse as a parse_error step', async () => {
    const summary = await runWorkflow(csv, options({ inputs: { csv: 'a,b\n1,2,3\n"unterminated' } }));
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'parse_error' });
    expect(summary.steps.find((s) => s.nodeId === 'stats')?.error).toMatch(/^csv_stats: /);
  });
});

describe('csvStats', () => {
  it('separates numeric from categorical columns', () => {
    expect(csvStats('name,score\nann,3\nbob,5\nann,')).toEqual({
      rows: 3,
      columns: ['name', 'score'],
      numeric: { score: { count: 2, min: 3, max: 5, sum: 8, mean: 4 } },
      categorical: { name: { distinct: 2, top: ['ann', 2] } },
    });
  });
});
