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
import { fork } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SpanRecord } from '../core/span.ts';
import { ALL_VALUE, expandQuery, type QueryContext, type TemplateVariable } from '../dashboards/macros.ts';
import { DASHBOARDS } from '../dashboards/src/index.ts';
import { panelsOf } from '../dashboards/src/panels.ts';
import { ConfigSchema } from '../core/config.ts';
import { InProcessSpanBus } from '../pipeline/bus/span-bus.ts';
import { GroupCommitWriter } from '../pipeline/group-commit/group-commit-writer.ts';
import { createProcessorChain } from '../processors/chain.ts';
import { ChdbStore } from '../storage/chdb/chdb-store.ts';
import { deriveEvents } from '../tail/events/derive.ts';
import { fromEnrichedSpan } from '../tail/events/stream-span.ts';
import { createTailServer } from '../tail/server.ts';
import { percentile, recordSection, table } from './lib/report.ts';
import { ensureDataset, type DatasetOptions } from './views/dataset.ts';
import { Random, RunsGenerator } from './views/runs-generator.ts';
import type { ChildMessage, ParentMessage } from './views/sse-clients.ts';

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

// ------------------------------------------------------------------ SSE fan-out

interface SseFigures {
  subscribers: number;
  refused: string[];
  connectMs: number;
  writes: number;
  commits: number;
  events: number;
  eventsPerSecond: number;
  spans: number;
  latency: { p50: number; p99: number; max: number };
  endToEnd: { p50: number; p99: number };
  dropped: Array<{ client: number; reason: string }>;
  missingEvents: number;
  openAtEnd: number;
  clientCpuMs: number;
  serverCpuMs: number;
  mbPerSecond: number;
}

/** Live spans of realistic runs, cut into writes of ≥ EVENTS_PER_SECOND·interval events each. */
function liveWrites(count: number): Array<{ records: SpanRecord[]; events: number }> {
  const generator = new RunsGenerator({ seed: 99, endMs: Date.now(), spreadMs: HOUR, otherProjectShare: 0 });
  const chain = createProcessorChain();
  const perWrite = (EVENTS_PER_SECOND * WRITE_INTERVAL_MS) / 1000;
  const writes: Array<{ records: SpanRecord[]; events: number }> = [];
  let current: { records: SpanRecord[]; events: number } = { records: [], events: 0 };
  while (writes.length < count) {
    const run = generator.run(Date.now() - 60_000, 20 + Math.floor(random.next() * 60));
    const enriched = chain.process(run.spans);
    for (let i = 0; i < run.spans.length && writes.length < count; i++) {
      current.records.push(run.spans[i]!);
      current.events += deriveEvents(fromEnrichedSpan(enriched[i]!)).length;
      if (current.events >= perWrite) {
        writes.push(current);
        current = { records: [], events: 0 };
      }
    }
  }
  return writes;
}

/** The spans of a write end at the moment they are written, in their export order, 1 µs apart; durations and event offsets are kept. */
function retime(records: SpanRecord[], writtenMs: number): void {
  const writtenNs = BigInt(Math.round(writtenMs * 1000)) * 1000n;
  records.forEach((span, i) => {
    const end = writtenNs - BigInt(records.length - i) * 1000n;
    const shift = end - span.endTimeUnixNano;
    span.startTimeUnixNano += shift;
    span.endTimeUnixNano = end;
    for (const event of span.events) event.timeUnixNano += shift;
  });
}

const nowMs = () => performance.timeOrigin + performance.now();
const sleepUntil = (wallMs: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, wallMs - nowMs())));

/** Weighted percentile of [value, weight] pairs. */
function weightedPercentile(pairs: Array<[number, number]>, p: number): number {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, w]) => sum + w, 0);
  let seen = 0;
  for (const [value, w] of sorted) if ((seen += w) >= (p / 100) * total) return value;
  return NaN;
}

/**
 * Writes live spans as the embedded pipeline does — processed, handed to a GroupCommitWriter
 * with the default queue settings, inserted, and published on the bus once committed —
 * while SUBSCRIBERS firehose clients in another process read them.
 */
async function sseFanOut(store: ChdbStore, bus: InProcessSpanBus, port: number, openConnections: () => number): Promise<SseFigures> {
  log('SSE fan-out');
  const writeCount = Math.round((SECONDS * 1000) / WRITE_INTERVAL_MS);
  const writes = liveWrites(writeCount);
  const child = fork(fileURLToPath(new URL('./views/sse-clients.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (message: ParentMessage) =>
    new Promise<ChildMessage>((resolve, reject) => {
      child.once('message', (reply) => resolve(reply as ChildMessage));
      child.once('exit', (code) => reject(new Error(`SSE client process exited (${code})`)));
      child.send(message);
    });
  const connected = (await ask({ type: 'connect', host: '127.0.0.1', port, clients: SUBSCRIBERS })) as Extract<ChildMessage, { type: 'connected' }>;
  log(`  ${connected.open} SSE clients connected in ${connected.ms} ms${connected.refused.length ? `, refused: ${connected.refused.slice(0, 3).join('; ')}` : ''}`);

  const t0Ms = Math.ceil(nowMs()) + 500;
  const writeAt = (k: number) => t0Ms + k * WRITE_INTERVAL_MS;
  const writeOf = (endMs: number) => Math.round((endMs - t0Ms) / WRITE_INTERVAL_MS);
  /** Per commit: when it was published and how many events each write in it carries. */
  const commits: Array<{ publishedMs: number; writes: number[] }> = [];
  const commitOfWrite = new Map<number, number>();
  const chain = createProcessorChain();
  const writer = new GroupCommitWriter(store, ConfigSchema.parse({}).queue, (spans) => {
    const inCommit = [...new Set(spans.map((s) => writeOf(Number(s.endTimeUnixNano / 1_000_000n))))];
    for (const k of inCommit) commitOfWrite.set(k, commits.length);
    commits.push({ publishedMs: nowMs(), writes: inCommit });
    bus.publish(spans);
  });
  const serverCpu0 = process.cpuUsage();
  const written: Array<Promise<void>> = [];
  for (const [k, write] of writes.entries()) {
    await sleepUntil(writeAt(k));
    retime(write.records, writeAt(k));
    written.push(writer.write(chain.process(write.records), `bench-views-live-${t0Ms}-${k}`));
  }
  await Promise.all(written);
  await writer.close();
  // Let the last commits reach every client.
  await sleepUntil(nowMs() + 3000);
  const serverCpu = process.cpuUsage(serverCpu0);
  const openAtEnd = openConnections();
  const result = (await ask({ type: 'stop' })) as Extract<ChildMessage, { type: 'result' }>;

  const eventsOfCommit = commits.map((c) => c.writes.reduce((sum, k) => sum + writes[k]!.events, 0));
  const received = Array.from({ length: SUBSCRIBERS }, () => new Set<number>());
  const latency: Array<[number, number]> = [];
  const endToEnd: Array<[number, number]> = [];
  for (let i = 0; i < result.chunks.length; i += 4) {
    const [client, firstIdMs, receivedMs] = [result.chunks[i]!, result.chunks[i + 1]!, result.chunks[i + 2]!];
    const commit = commitOfWrite.get(writeOf(firstIdMs));
    if (commit === undefined) continue;
    received[client]!.add(commit);
    latency.push([receivedMs - commits[commit]!.publishedMs, eventsOfCommit[commit]!]);
    for (const k of commits[commit]!.writes) endToEnd.push([receivedMs - writeAt(k), writes[k]!.events]);
  }
  let missing = 0;
  for (const set of received) for (let c = 0; c < commits.length; c++) if (!set.has(c)) missing += eventsOfCommit[c]!;
  const events = writes.reduce((sum, w) => sum + w.events, 0);
  const figures: SseFigures = {
    subscribers: connected.open,
    refused: connected.refused,
    connectMs: connected.ms,
    writes: writeCount,
    commits: commits.length,
    events,
    eventsPerSecond: events / SECONDS,
    spans: writes.reduce((sum, w) => sum + w.records.length, 0),
    latency: { p50: weightedPercentile(latency, 50), p99: weightedPercentile(latency, 99), max: Math.max(...latency.map(([ms]) => ms)) },
    endToEnd: { p50: weightedPercentile(endToEnd, 50), p99: weightedPercentile(endToEnd, 99) },
    dropped: result.dropped,
    missingEvents: missing,
    openAtEnd,
    clientCpuMs: result.cpuMs,
    serverCpuMs: Math.round((serverCpu.user + serverCpu.system) / 1000),
    mbPerSecond: result.bytes / 2 ** 20 / SECONDS,
  };
  log(`  ${commits.length} commits; publish → receipt p50 ${fmt(figures.latency.p50)} ms, p99 ${fmt(figures.latency.p99)} ms; written → receipt p99 ${fmt(figures.endToEnd.p99)} ms; ` +
    `dropped ${figures.dropped.length}; events not delivered ${missing}; CPU server ${figures.serverCpuMs} ms, clients ${figures.clientCpuMs} ms`);
  return figures;
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
      const sse = SECTIONS.has('sse') ? await sseFanOut(store, bus, port, () => tail.liveConnections()) : undefined;
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
  sse: SseFigures;
  load: number[];
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function report(r: Results): void {
  const { dataset, sse } = r;
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
      `processed, queued in a GroupCommitWriter with the default queue settings, inserted, and published on the bus when committed (${sse.commits} commits). ` +
      `Latency = when a client had a commit's last byte − when the commit was published, weighted by its events; written → receipt also includes the wait for the commit.`,
    '',
    table([
      ['events published / s', `${Math.round(sse.eventsPerSecond)} (${sse.events.toLocaleString('en-US')} in all)`, `${EVENTS_PER_SECOND}`],
      ['delivery latency publish → receipt p50 / p99 / max, ms', `${fmt(sse.latency.p50)} / **${fmt(sse.latency.p99)}** / ${fmt(sse.latency.max)}`, `p99 ≤ ${TARGET.sseP99Ms} (${verdict(sse.latency.p99 <= TARGET.sseP99Ms)})`],
      ['subscribers dropped / refused / open at the end', `**${sse.dropped.length}** / ${sse.refused.length} / ${sse.openAtEnd}`, `0 dropped (${verdict(sse.dropped.length === 0 && sse.refused.length === 0)})`],
      ['events not delivered (all clients)', String(sse.missingEvents), '0'],
      ['span written → received p50 / p99 (includes the group commit), ms', `${fmt(sse.endToEnd.p50)} / ${fmt(sse.endToEnd.p99)}`],
      ['delivered to clients, MiB/s', sse.mbPerSecond.toFixed(1)],
      ['CPU during the run: server process / client process, s', `${(sse.serverCpuMs / 1000).toFixed(1)} / ${(sse.clientCpuMs / 1000).toFixed(1)}`],
    ]),
    '',
    `Targets: ${apiOk && panelsOk && sseOk ? 'all met' : `MISSED: ${[!apiOk && 'API p99', !panelsOk && 'panels', !sseOk && 'SSE'].filter(Boolean).join(', ')}`}.`,
  ].join('\n');
  if (sse.dropped.length > 0) log(`dropped: ${sse.dropped.slice(0, 5).map((d) => `${d.client}: ${d.reason}`).join('; ')}`);
  process.stdout.write(`${body}\n`);
  recordSection('bench:views', body);
}

await main();
