// Runs every panel's SQL, expanded exactly as Grafana and the ClickHouse datasource
// would, on the real embedded engine loaded with the schema and a seeded dataset, and
// checks the columns and values against an independent computation from the seed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSeededEngine, type SeededEngine } from './fixtures/engine.ts';
import {
  countBy, rootCauseFailures, runsInScope, spansInScope, sumNanos, usd, type Scope, type Selection,
} from './fixtures/model.ts';
import { SEED_BASE, seedSpans, type SeedSpan } from './fixtures/seed.ts';
import { ALL_VALUE, expandQuery, type QueryContext, type TemplateVariable } from './macros.ts';
import { DASHBOARDS, renderFiles } from './src/index.ts';
import { panelsOf, type PanelSpec } from './src/panels.ts';

const MINUTE = 60_000;
const FROM = SEED_BASE - 5 * MINUTE;
const TO = SEED_BASE + 2 * 60 * MINUTE;
const INTERVAL_MS = 10 * MINUTE;

const SPANS = seedSpans();
const distinct = (pick: (s: SeedSpan) => string) => [...new Set(SPANS.map(pick).filter((v) => v !== ''))].sort();
const OPTIONS = { project: distinct((s) => s.projectId), service: distinct((s) => s.serviceName), workflow: distinct((s) => s.workflowId) };

interface Case {
  name: string;
  project: Selection;
  service: Selection;
  workflow: Selection;
  traceId: string;
  /** Every panel must return rows with values (the dataset covers everything in this scope). */
  full: boolean;
}

const traceOf = (runId: string) => (SPANS.find((s) => s.runId === runId) as SeedSpan).traceId;
const CASES: Case[] = [
  { name: 'All', project: 'All', service: 'All', workflow: 'All', traceId: traceOf('run-acme-01'), full: true },
  { name: 'acme / support-agent / triage', project: ['acme'], service: ['support-agent'], workflow: ['triage'], traceId: traceOf('run-acme-01'), full: true },
  { name: 'globex', project: ['globex'], service: 'All', workflow: 'All', traceId: traceOf('run-globex-02'), full: false },
  { name: 'two projects, research-agent', project: ['acme', 'globex'], service: ['research-agent'], workflow: 'All', traceId: traceOf('run-acme-05'), full: false },
];

function variable(name: keyof typeof OPTIONS, selection: Selection): TemplateVariable {
  return { name, current: selection === 'All' ? [ALL_VALUE] : selection, options: OPTIONS[name] };
}

function contextOf(c: Case): QueryContext {
  return {
    range: { from: new Date(FROM), to: new Date(TO) },
    intervalMs: INTERVAL_MS,
    variables: [
      variable('project', c.project), variable('service', c.service), variable('workflow', c.workflow),
      { name: 'trace_id', current: c.traceId },
    ],
  };
}

const scopeOf = (c: Case): Scope => ({ project: c.project, service: c.service, workflow: c.workflow, from: FROM, to: TO });

/** Panel SQL as committed in the generated JSON, by dashboard uid and panel title. */
const files = renderFiles();
function committedSql(uid: string, title: string): string {
  const json = JSON.parse(files.get(`json/${uid}.json`) as string) as { panels: { type: string; title: string; targets?: { rawSql: string }[] }[] };
  const panel = json.panels.find((p) => p.type !== 'row' && p.title === title);
  if (panel?.targets?.[0] === undefined) throw new Error(`panel "${title}" not found in ${uid}`);
  return panel.targets[0].rawSql;
}

const PANELS = DASHBOARDS.flatMap((d) => panelsOf(d).map((spec) => ({ uid: d.uid, spec })));

let engine: SeededEngine;
beforeAll(async () => {
  engine = await openSeededEngine();
});
afterAll(() => engine?.close());

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null ? null : Number(v));

async function run(uid: string, title: string, c: Case): Promise<Row[]> {
  return engine.rows(expandQuery(committedSql(uid, title), contextOf(c)));
}

describe.each(CASES)('every panel, $name', (c) => {
  it.each(PANELS.map((p) => [`${p.uid} / ${p.spec.title}`, p] as const))('%s', async (_name, { uid, spec }) => {
    const sql = expandQuery(committedSql(uid, spec.title), contextOf(c));
    expect(sql).not.toMatch(/\$__|\$\{|\$[a-z]/);
    const columns = await engine.columns(sql);
    expect(columns.map((col) => col.name)).toEqual(spec.columns.map((col) => col.name));
    const rows = await engine.rows(sql);
    checkShape(spec, columns, rows);
    if (c.full) {
      expect(rows.length, 'rows').toBeGreaterThan(0);
      for (const col of spec.columns) expect(rows.some((r) => r[col.name] !== null), `${col.name} has a value`).toBe(true);
    }
  });
});

function checkShape(spec: PanelSpec, columns: { name: string; type: string }[], rows: Row[]): void {
  if (spec.kind === 'stat') expect(rows).toHaveLength(1);
  if (spec.kind === 'timeseries') {
    expect(columns[0]?.type).toBe('DateTime');
    const times = rows.map((r) => Date.parse(`${String(r.time).replace(' ', 'T')}Z`));
    expect(times.every((t) => t >= FROM - INTERVAL_MS && t <= TO)).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  }
  for (const col of columns) {
    if (!/Int|Float|Decimal/.test(col.type) || col.name === 'Attempt' || /^(startTime|statusCode)$/.test(col.name)) continue;
    for (const row of rows) {
      const value = num(row[col.name]);
      if (value === null) continue;
      expect(value, col.name).toBeGreaterThanOrEqual(0);
      if ((spec.columns.find((c) => c.name === col.name)?.unit ?? spec.unit) === 'percentunit') expect(value).toBeLessThanOrEqual(1);
    }
  }
}

describe.each(CASES)('values match the seed, $name', (c) => {
  const scope = scopeOf(c);
  const runs = runsInScope(SPANS, scope);
  const runSpans = runs.flatMap((r) => r.spans);
  const spans = spansInScope(SPANS, scope);
  const calls = spans.filter((s) => s.isInference);
  const stat = async (uid: string, title: string) => (await run(uid, title, c))[0] as Row;
  const close = (actual: unknown, expected: number) => expect(num(actual)).toBeCloseTo(expected, 9);

  it('overview totals', async () => {
    expect(runs.length).toBeGreaterThan(0);
    expect(num((await stat('flowtrace-overview', 'Runs')).runs)).toBe(runs.length);
    const finished = runs.filter((r) => r.status !== 'running');
    close((await stat('flowtrace-overview', 'Success rate')).success_rate, finished.filter((r) => r.status === 'succeeded').length / finished.length);
    const inference = runSpans.filter((s) => s.isInference);
    close((await stat('flowtrace-overview', 'Cost')).cost_usd, usd(sumNanos(inference, (s) => s.costNanos)));
    expect(num((await stat('flowtrace-overview', 'Tokens')).tokens)).toBe(sumNanos(inference, (s) => s.inputTokens + s.outputTokens));
    const series = await run('flowtrace-overview', 'Runs over time', c);
    expect(series.reduce((n, r) => n + Number(r.succeeded) + Number(r.failed) + Number(r.canceled) + Number(r.running), 0)).toBe(runs.length);
  });

  it('cache-hit and fallback rates', async () => {
    const requests = new Set(calls.map((s) => `${s.traceId}/${s.parentSpanId}`)).size;
    const hits = spans.filter((s) => s.cacheHit).length;
    const fallbacks = new Set(calls.filter((s) => s.fallbackFrom !== '').map((s) => `${s.traceId}/${s.parentSpanId}`)).size;
    close((await stat('flowtrace-overview', 'Cache-hit rate')).cache_hit_rate, hits / (hits + requests));
    close((await stat('flowtrace-overview', 'Fallback rate')).fallback_rate, fallbacks / requests);
  });

  it('run latency percentiles are ordered and within the observed durations', async () => {
    const durations = runs.filter((r) => r.status !== 'running').map((r) => {
      const end = Math.max(...r.spans.map((s) => s.startMs + s.durationMs));
      return end - r.startMs;
    });
    const { p50, p95, p99 } = await stat('flowtrace-overview', 'Run latency');
    const [a, b, d] = [num(p50), num(p95), num(p99)] as number[];
    expect(a).toBeLessThanOrEqual(b);
    expect(b).toBeLessThanOrEqual(d);
    expect(a).toBeGreaterThanOrEqual(Math.min(...durations) - 1);
    expect(d).toBeLessThanOrEqual(Math.max(...durations) + 1);
  });

  it('cost totals, savings and waste', async () => {
    const cost = usd(sumNanos(calls, (s) => s.costNanos));
    close((await stat('flowtrace-cost', 'Cost')).cost_usd, cost);
    close((await stat('flowtrace-cost', 'Cache savings')).saved_usd, usd(sumNanos(spans.filter((s) => s.cacheHit), (s) => s.savedNanos)));
    close((await stat('flowtrace-cost', 'Wasted on failed attempts')).wasted_usd, usd(sumNanos(calls.filter((s) => s.status === 'Error'), (s) => s.costNanos)));
    expect(num((await stat('flowtrace-cost', 'Unpriced attempts')).unpriced)).toBe(calls.filter((s) => s.costNanos === null).length);
    const byProvider = await run('flowtrace-cost', 'Cost by provider', c);
    close(byProvider.reduce((sum, r) => sum + (num(r.cost_usd) ?? 0), 0), cost);
    const byModel = await run('flowtrace-cost', 'Cost by model', c);
    expect(Object.fromEntries(byModel.map((r) => [`${r.Provider}/${r.Model}`, num(r.Attempts)])))
      .toEqual(countBy(calls, (s) => `${s.provider}/${s.model}`));
    const byWorkflow = await run('flowtrace-cost', 'Cost by workflow', c);
    expect(byWorkflow.reduce((n, r) => n + Number(r.Runs), 0)).toBe(runs.length);
  });

  it('failure taxonomy counts root causes with their outcome', async () => {
    const roots = rootCauseFailures(SPANS, spans);
    expect(num((await stat('flowtrace-failures', 'Failures')).failures)).toBe(roots.length);
    expect(num((await stat('flowtrace-failures', 'Failed runs')).failed_runs)).toBe(runs.filter((r) => r.status === 'failed').length);
    const byClass: Record<string, number> = {};
    for (const r of await run('flowtrace-failures', 'Failures by class', c)) {
      byClass[String(r.FailureClass)] = (byClass[String(r.FailureClass)] ?? 0) + Number(r.failures);
    }
    expect(byClass).toEqual(countBy(roots, (f) => f.span.failureClass));
    const outcomes = await run('flowtrace-failures', 'Recovered vs terminal', c);
    expect(Object.fromEntries(outcomes.map((r) => [r.Outcome, num(r.failures)]))).toEqual(countBy(roots, (f) => f.outcome));
  });

  it('runs table lists the runs in scope', async () => {
    const rows = await run('flowtrace-runs', 'Runs', c);
    expect(rows.map((r) => r.Run).sort()).toEqual(runs.map((r) => r.runId).sort());
  });

  it('selected-trace panels show exactly that trace', async () => {
    const trace = SPANS.filter((s) => s.traceId === c.traceId);
    expect((await run('flowtrace-runs', 'Steps', c)).length).toBe(trace.filter((s) => s.role === 'step').length);
    expect((await run('flowtrace-runs', 'LLM calls', c)).length).toBe(trace.filter((s) => s.isInference || s.cacheHit).length);
    const spansOut = await run('flowtrace-runs', 'Trace', c);
    expect(spansOut.map((r) => r.spanID).sort()).toEqual(trace.map((s) => s.spanId).sort());
    expect(spansOut.filter((r) => num(r.statusCode) === 2).length).toBe(trace.filter((s) => s.status === 'Error').length);
    const root = trace.find((s) => s.parentSpanId === '') as SeedSpan;
    const rootOut = spansOut.find((r) => r.parentSpanID === '') as Row;
    close(rootOut.startTime, root.startMs);
    close(rootOut.duration, root.durationMs);
    expect(rootOut.tags).toContainEqual({ key: 'gen_ai.operation.name', value: 'invoke_workflow' });
  });
});

describe('query efficiency', () => {
  // With "All" selected nothing narrows by project, so only the time range, the run keys or
  // the trace id can: every table read of the panel query must be cut by an index.
  it.each(PANELS.map((p) => [`${p.uid} / ${p.spec.title}`, p] as const))('%s reads through an index', async (_name, { uid, spec }) => {
    const sql = expandQuery(committedSql(uid, spec.title), contextOf(CASES[0] as Case));
    const plan = (await engine.rows<{ explain: string }>(`EXPLAIN indexes = 1 ${sql}`)).map((r) => r.explain).join('\n');
    // run_totals (one row per run) is read whole to find the runs that started in the range.
    const reads = plan.split('ReadFromMergeTree (').slice(1).filter((read) => !read.startsWith('default.run_totals)'));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      const conditions = [...read.matchAll(/Condition: (.*)/g)].map((m) => m[1]).filter((cond) => cond !== 'true');
      expect(conditions.length, read.slice(0, read.indexOf(')'))).toBeGreaterThan(0);
    }
  });
});

describe('template variable queries', () => {
  const variables = DASHBOARDS[0]?.variables.map((v) => v.build()) ?? [];
  const options = async (name: string, c: Case) => {
    const query = variables.find((v) => v.name === name)?.query as { rawSql: string };
    return (await engine.rows<Record<string, string>>(expandQuery(query.rawSql, contextOf(c)))).map((r) => Object.values(r)[0]);
  };

  it('list projects, then services and workflows of the selected project', async () => {
    const all = CASES[0] as Case;
    expect(await options('project', all)).toEqual(OPTIONS.project);
    expect(await options('service', all)).toEqual(OPTIONS.service);
    expect(await options('workflow', all)).toEqual(OPTIONS.workflow);
    const globex = CASES[2] as Case;
    expect(await options('service', globex)).toEqual(distinct((s) => (s.projectId === 'globex' ? s.serviceName : '')));
    expect(await options('workflow', globex)).toEqual(['research']);
  });
});
