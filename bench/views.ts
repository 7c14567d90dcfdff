// bench:views — the read side at scale. A store of 1,000,000 spans / 20,000 realistic runs
// (bench/views/dataset.ts, cached under .cache/bench-views/), then:
//   * the read API over HTTP through the real tail server: runs list (first page, filtered
//     pages) and run trace for random runs, p99 over sequential requests;
//   * every panel of every dashboard, macros expanded for the dataset's last 24 h with
//     "All" variables, on the same store;
//   * SSE fan-out: 1,000 firehose clients (another process, loopback HTTP) while batches
//     of spans are processed, inserted and published on the bus every 50 ms at 2,000
//     events/s, as the embedded pipeline commits them; delivery latency from publish to
//     receipt, and subscribers dropped.
//   npm run bench:views [-- --api-requests 200 --subscribers 1000 --events-per-second 2000 --seconds 10 --only api,panels,sse]
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_VALUE, expandQuery, type QueryContext, type TemplateVariable } from '../dashboards/macros.ts';
import { DASHBOARDS } from '../dashboards/src/index.ts';
import { panelsOf } from '../dashboards/src/panels.ts';
import { InProcessSpanBus } from '../pipeline/bus/span-bus.ts';
import { ChdbStore } from '../storage/chdb/chdb-store.ts';
import { createTailServer } from '../tail/server.ts';
import { percentile, recordSection, table } from './lib/report.ts';
import { ensureDataset, type DatasetOptions } from './views/dataset.ts';
import { Random } from './views/runs-generator.ts';
import { measureFanOut, type FanOutFigures } from './views/sse-fanout.ts';
import { measureTcpFloor, type FloorFigures } from './views/tcp-floor.ts';

const { values: args } = parseArgs({
  options: {
    'api-requests': { type: 'string', default: '200' },
    'panel-repeats': { type: 'string', default: '5' },
    subscribers: { type: 'string', default: '1000' },
    'events-per-second': { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    /** Only these sections (api, panels, sse); a partial run prints but does not record. */
    only: { type: 'string' },
  },
});
const API_REQUESTS = Number(args['api-requests']);
const PANEL_REPEATS = Number(args['panel-repeats']);
const SUBSCRIBERS = Number(args.subscribers);
const EVENTS_PER_SECOND = Number(args['events-per-second']);
const SECONDS = Number(args.seconds);
const SECTIONS = new Set((args.only ?? 'api,panels,sse').split(','));

const TARGET = { apiP99Ms: 100, panelMs: 500, sseP99Ms: 100 };
const HOUR = 3_600_000;
/** Live spans reach the pipeline in writes this far apart (an OTLP exporter's batches). */
const WRITE_INTERVAL_MS = 50;

const DATASET: DatasetOptions = {
  runs: 20_000,
  spans: 1_000_000,
  seed: 20_261_120,
  endMs: Date.UTC(2026, 10, 20, 12, 0, 0),
  spreadMs: 7 * 24 * HOUR,
  otherProjectShare: 0.1,
  batchSpans: 50_000,
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (ms: number) => ms.toFixed(1);
const random = new Random(42);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await work();
  return [result, performance.now() - t0];
}

async function rows<T>(store: ChdbStore, sql: string): Promise<T[]> {
  const result = await store.execute({ sql, format: 'JSONEachRow', readOnly: true });
  return result.body.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
}

// ------------------------------------------------------------------ references

interface Reference {
  name: string;
  ms: number;
  engineMs: number;
}

async function engineReferences(store: ChdbStore): Promise<Reference[]> {
  const queries: Array<[string, string]> = [
    ['`SELECT count() FROM span_facts`', 'SELECT count() FROM span_facts'],
    ['`SELECT count() FROM span_facts FINAL`', 'SELECT count() FROM span_facts FINAL'],
    ['run totals of every run, without FINAL', 'SELECT count(), sum(c) FROM (SELECT RunId, sumIf(CostUsd, IsInference = 1) AS c FROM span_facts GROUP BY ProjectId, RunId)'],
    ['run totals of every run, FINAL', 'SELECT count(), sum(c) FROM (SELECT RunId, sumIf(CostUsd, IsInference = 1) AS c FROM span_facts FINAL GROUP BY ProjectId, RunId)'],
    ['`SELECT count() FROM runs` (the view)', 'SELECT count() FROM runs'],
  ];
  const out: Reference[] = [];
  for (const [name, sql] of queries) {
    await store.execute({ sql, readOnly: true });
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < 3; i++) {
      const [result, ms] = await timed(() => store.execute({ sql, readOnly: true }));
      samples.push([ms, result.elapsedNs / 1e6]);
    }
    samples.sort((a, b) => a[0] - b[0]);
    const [ms, engineMs] = samples[1]!;
    out.push({ name, ms, engineMs });
  }
  return out;
}

// ------------------------------------------------------------------ read API

interface ApiFigure {
  name: string;
  p50: number;
  p99: number;
  max: number;
  requests: number;
}

async function measureApi(baseUrl: string, name: string, paths: () => string): Promise<ApiFigure> {
  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${body.slice(0, 200)}`);
    return body;
  };
  for (let i = 0; i < 10; i++) await get(paths());
  const samples: number[] = [];
  for (let i = 0; i < API_REQUESTS; i++) {
    const path = paths();
    const [, ms] = await timed(() => get(path));
    samples.push(ms);
  }
  const figure = { name, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples), requests: samples.length };
  log(`  ${name}: p50 ${fmt(figure.p50)} ms, p99 ${fmt(figure.p99)} ms, max ${fmt(figure.max)} ms`);
  return figure;
}

async function apiFigures(store: ChdbStore, baseUrl: string): Promise<ApiFigure[]> {
  log('read API');
  const runIds = (await rows<{ RunId: string }>(store, "SELECT DISTINCT RunId FROM span_facts WHERE ProjectId = 'default' ORDER BY RunId")).map((r) => r.RunId);
  const firstPage = JSON.parse(await (await fetch(`${baseUrl}/api/runs`)).text()) as { next_cursor: string };
  const iso = (ms: number) => new Date(ms).toISOString();
  const filtered = [
    '/api/runs?status=failed',
    '/api/runs?workflow=research-report&status=succeeded',
    '/api/runs?model=claude-sonnet-4-5',
    `/api/runs?from=${iso(DATASET.endMs - 6 * HOUR)}&to=${iso(DATASET.endMs - 5 * HOUR)}`,
    '/api/runs?failure_class=tool',
    '/api/runs?service=ops-agent&min_cost=0.02',
    `/api/runs?cursor=${firstPage.next_cursor}`,
  ];
  let turn = 0;
  return [
    await measureApi(baseUrl, 'GET /api/runs (first page, 50 runs)', () => '/api/runs'),
    await measureApi(baseUrl, `GET /api/runs filtered (${filtered.length} kinds in turn: status, workflow+status, model, from/to, failure_class, service+min_cost, cursor)`, () => filtered[turn++ % filtered.length]!),
    await measureApi(baseUrl, 'GET /api/runs/:id/trace (random runs)', () => `/api/runs/${random.pick(runIds)}/trace`),
  ];
}

// ------------------------------------------------------------------ dashboards

interface PanelFigure {
  dashboard: string;
  panel: string;
  median: number;
  max: number;
  rows: number;
}

async function panelFigures(store: ChdbStore): Promise<PanelFigure[]> {
  log('dashboards');
  const range = { from: new Date(DATASET.endMs - 24 * HOUR), to: new Date(DATASET.endMs) };
  const base: QueryContext = { range, intervalMs: 60_000, variables: [] };
  // "All" lists every option, as Grafana fills a multi-value variable from its query.
  const variables: TemplateVariable[] = [];
  for (const builder of DASHBOARDS[0]!.variables) {
    const variable = builder.build() as { name: string; query?: { rawSql: string } };
    if (variable.query === undefined) continue;
    const options = (await rows<Record<string, string>>(store, expandQuery(variable.query.rawSql, { ...base, variables }))).map((r) => String(Object.values(r)[0]));
    variables.push({ name: variable.name, current: [ALL_VALUE], options });
  }
  const [trace] = await rows<{ TraceId: string }>(store, "SELECT TraceId FROM span_facts WHERE Role = 'run' AND ProjectId = 'default' ORDER BY cityHash64(TraceId) LIMIT 1");
  variables.push({ name: 'trace_id', current: trace!.TraceId });
  const ctx: QueryContext = { ...base, variables };
  const out: PanelFigure[] = [];
  for (const dashboard of DASHBOARDS) {
    for (const panel of panelsOf(dashboard)) {
      const sql = expandQuery(panel.sql, ctx);
      const [first] = await timed(() => rows(store, sql));
      const samples: number[] = [];
      for (let i = 0; i < PANEL_REPEATS; i++) samples.push((await timed(() => rows(store, sql)))[1]);
      out.push({ dashboard: dashboard.uid, panel: panel.title, median: percentile(samples, 50), max: Math.max(...samples), rows: first.length });
      log(`  ${dashboard.uid} / ${panel.title}: ${fmt(percentile(samples, 50))} ms (max ${fmt(Math.max(...samples))})`);
    }
  }
  return out;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  log(`bench:views — ${DATASET.spans.toLocaleString('en-US')} spans / ${DATASET.runs.toLocaleString('en-US')} runs`);
  const [dataset, datasetMs] = await timed(() => ensureDataset(DATASET, log));
  log(dataset.cached ? `  dataset from the cache (${dataset.dataDir})` : `  dataset built in ${Math.round(datasetMs / 1000)} s`);
  const work = mkdtempSync(join(tmpdir(), 'flowtrace-bench-views-'));
  const load = [loadavg()[0]!];
  try {
    const dataDir = join(work, 'data');
    const [, copyMs] = await timed(async () => cpSync(dataset.dataDir, dataDir, { recursive: true }));
    const store = new ChdbStore({ dataDir });
    const [, migrateMs] = await timed(() => store.migrate());
    log(`  copied in ${Math.round(copyMs)} ms, migrated in ${Math.round(migrateMs)} ms`);
    const bus = new InProcessSpanBus();
    const tail = createTailServer({ store, bus, config: { host: '127.0.0.1', port: 0 } });
    const { port } = await tail.start();
    const baseUrl = `http://127.0.0.1:${port}`;
    try {
      log('references');
      const references = await engineReferences(store);
      for (const ref of references) log(`  ${ref.name}: ${fmt(ref.ms)} ms`);
      const api = SECTIONS.has('api') ? await apiFigures(store, baseUrl) : [];
      const panels = SECTIONS.has('panels') ? await panelFigures(store) : [];
      load.push(loadavg()[0]!);
      let sse: { fanOut: FanOutFigures; floor: FloorFigures } | undefined;
      if (SECTIONS.has('sse')) {
        log('SSE fan-out');
        const options = { subscribers: SUBSCRIBERS, eventsPerSecond: EVENTS_PER_SECOND, seconds: SECONDS, writeIntervalMs: WRITE_INTERVAL_MS };
        const fanOut = await measureFanOut({ store, bus, port, openConnections: () => tail.liveConnections() }, options, log);
        const first = fanOut.commits[0]?.publishedMs ?? 0;
        const floor = await measureTcpFloor(fanOut.commits.map((c) => ({ offsetMs: c.publishedMs - first, bytes: c.bytes, events: c.events })), SUBSCRIBERS, log);
        sse = { fanOut, floor };
      }
      load.push(loadavg()[0]!);
      if (api.length > 0 && panels.length > 0 && sse !== undefined) {
        report({ dataset: dataset.manifest, cached: dataset.cached, references, api, panels, sse, load });
      }
    } finally {
      await tail.stop();
      await store.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface Results {
  dataset: Awaited<ReturnType<typeof ensureDataset>>['manifest'];
  cached: boolean;
  references: Reference[];
  api: ApiFigure[];
  panels: PanelFigure[];
  sse: { fanOut: FanOutFigures; floor: FloorFigures };
  load: number[];
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function report(r: Results): void {
  const { dataset } = r;
  const { fanOut: sse, floor } = r.sse;
  const slowestPanel = r.panels.reduce((a, b) => (b.median > a.median ? b : a));
  const apiOk = r.api.every((f) => f.p99 <= TARGET.apiP99Ms);
  const panelsOk = r.panels.every((p) => p.median <= TARGET.panelMs);
  const sseOk = sse.latency.p99 <= TARGET.sseP99Ms && sse.dropped.length === 0 && sse.subscribers === SUBSCRIBERS && sse.missingEvents === 0;
  const body = [
    `Store: ${dataset.spans.toLocaleString('en-US')} spans / ${dataset.runs.toLocaleString('en-US')} runs (statuses ${JSON.stringify(dataset.statuses)}), ` +
      `started over the ${dataset.options.spreadMs / HOUR} h before ${new Date(dataset.options.endMs).toISOString()}, 10 % in a second project; ` +
      `generated (bench/views/runs-generator.ts: workflow span, steps, LLM attempts with usage and cost, retries, fallbacks, cache hits, tool calls, router branches, failures, cancellations, running runs), ` +
      `run through createProcessorChain and inserted with store.insertSpans in ${dataset.options.batchSpans.toLocaleString('en-US')}-span batches: ` +
      `${Math.round(dataset.buildMs.total / 1000)} s when built (generate + process ${Math.round(dataset.buildMs.generateAndProcess / 1000)} s, waiting for inserts ${Math.round(dataset.buildMs.insertWait / 1000)} s, merges ${Math.round(dataset.buildMs.merges / 1000)} s); this run ${r.cached ? 'reused the cached copy' : 'built it'}. ` +
      `Load average (1 min) at start / after panels / end: ${r.load.map((l) => l.toFixed(1)).join(' / ')}. Command: \`npm run bench:views\`.`,
    '',
    `Read API: ${r.api[0]!.requests} sequential requests each (after 10 warm-up), the real tail server over loopback HTTP.`,
    '',
    table([
      ...r.api.map((f): [string, string, string] => [`${f.name} p50 / p99 / max, ms`, `${fmt(f.p50)} / **${fmt(f.p99)}** / ${fmt(f.max)}`, `p99 ≤ ${TARGET.apiP99Ms} (${verdict(f.p99 <= TARGET.apiP99Ms)})`]),
      ...r.references.map((ref): [string, string] => [`reference: ${ref.name}, ms (engine ms)`, `${fmt(ref.ms)} (${fmt(ref.engineMs)})`]),
    ]),
    '',
    `Dashboards: every panel, macros expanded for the last 24 h of the dataset with every variable "All", median of ${PANEL_REPEATS} after one warm-up (max in brackets). Target ≤ ${TARGET.panelMs} ms each (${verdict(panelsOk)}; slowest: ${slowestPanel.dashboard} / ${slowestPanel.panel}, ${fmt(slowestPanel.median)} ms).`,
    '',
    '| dashboard | panel | ms | rows |',
    '|---|---|---|---|',
    ...r.panels.map((p) => `| ${p.dashboard} | ${p.panel} | ${fmt(p.median)} (${fmt(p.max)}) | ${p.rows} |`),
    '',
    `SSE fan-out: ${sse.subscribers} firehose clients (\`GET /api/stream\`, one loopback TCP connection each, in a second process) while ` +
      `${sse.spans.toLocaleString('en-US')} spans of new runs were written every ${WRITE_INTERVAL_MS} ms for ${SECONDS} s as the embedded pipeline takes them: ` +
      `processed, queued in a GroupCommitWriter with the default queue settings, inserted, and published on the bus when committed (${sse.commits.length} commits). ` +
      `Latency = when a client had a commit's last byte − when the commit was published, weighted by its events. ` +
      `Reference: the same bytes at the same moments to as many connections of the same client process from a bare TCP server (bench/views/tcp-floor.ts).`,
    '',
    table([
      ['events published / s', `${Math.round(sse.events / SECONDS)} (${sse.events.toLocaleString('en-US')} in all)`, `${EVENTS_PER_SECOND}`],
      ['delivery latency publish → receipt p50 / p99 / max, ms', `${fmt(sse.latency.p50)} / **${fmt(sse.latency.p99)}** / ${fmt(sse.latency.max)}`, `p99 ≤ ${TARGET.sseP99Ms} (${verdict(sse.latency.p99 <= TARGET.sseP99Ms)})`],
      ['subscribers dropped / refused / open at the end', `**${sse.dropped.length}** / ${sse.refused.length} / ${sse.openAtEnd}`, `0 dropped (${verdict(sse.dropped.length === 0 && sse.refused.length === 0)})`],
      ['events not delivered (all clients)', String(sse.missingEvents), '0'],
      ['reference: bare TCP, same bytes, p50 / p99 / max, ms', `${fmt(floor.latency.p50)} / ${fmt(floor.latency.p99)} / ${fmt(floor.latency.max)}`],
      ['span written → received p50 / p99 (includes the group commit), ms', `${fmt(sse.endToEnd.p50)} / ${fmt(sse.endToEnd.p99)}`],
      ['delivered to clients, MiB/s', sse.mbPerSecond.toFixed(1)],
      ['CPU: server (tail, pipeline and engine) / clients; bare TCP server / clients, s', `${(sse.serverCpuMs / 1000).toFixed(1)} / ${(sse.clientCpuMs / 1000).toFixed(1)}; ${(floor.serverCpuMs / 1000).toFixed(1)} / ${(floor.clientCpuMs / 1000).toFixed(1)}`],
    ]),
    '',
    `Targets: ${apiOk && panelsOk && sseOk ? 'all met' : `MISSED: ${[!apiOk && 'API p99', !panelsOk && 'panels', !sseOk && 'SSE'].filter(Boolean).join(', ')}`}.`,
  ].join('\n');
  if (sse.dropped.length > 0) log(`dropped: ${sse.dropped.slice(0, 5).map((d) => `${d.client}: ${d.reason}`).join('; ')}`);
  process.stdout.write(`${body}\n`);
  recordSection('bench:views', body);
}

await main();
