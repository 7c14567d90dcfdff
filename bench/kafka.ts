// bench:kafka — throughput of `flowtrace process` from a pre-filled `otlp_spans` topic (GenAI
// spans, 512 per record) into ClickHouse with one and two instances, against the ceiling of
// the same run: the slower of a bare kafkajs consumer draining the topic and a straight insert
// of the same already-normalised rows into the same store. Then the end-to-end latency from
// span export to stored row through the collector and Kafka at 5,000 spans/s.
// Run: npm run bench:kafka (needs scripts/setup-real-components.sh). Rewrites its section of BENCHMARKS.md.
// BENCH_KAFKA_PART=latency measures only the latency and appends nothing (for tuning).
import { loadavg } from 'node:os';
import { context, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Admin, Kafka } from 'kafkajs';
import { KAFKA_TOPICS } from '../core/defaults.ts';
import { FLOWTRACE, GEN_AI } from '../core/semconv.ts';
import type { EnrichedSpan } from '../core/span.ts';
import { KafkaOtlpExporter } from '../exporters/kafka-otlp/index.ts';
import { parseEnrichedRecord } from '../exporters/kafka-enriched/index.ts';
import { createKafkaClient } from '../ingest/kafka/index.ts';
import { decodeExportTraceRequest, DEFAULT_SPAN_LIMITS } from '../ingest/otlp/index.ts';
import { createProcessorChain } from '../processors/chain.ts';
import { ClickHouseServerStore } from '../storage/clickhouse/clickhouse-server-store.ts';
import { startCollector } from '../test/support/collector.ts';
import { startKafkaBroker, type KafkaBroker } from '../test/support/kafka-broker.ts';
import { startClickHouseHarness } from '../test/distributed/support/clickhouse-harness.ts';
import { ProcessorInstance, waitForBalancedGroup } from '../test/distributed/support/processors.ts';
import { createTopic } from '../test/distributed/support/stack.ts';
import { recordSection } from './lib/report.ts';

const TOPIC = KAFKA_TOPICS.SPANS;
const PARTITIONS = 4;
const SPANS_PER_RECORD = 512;
const RECORDS = Number(process.env.BENCH_KAFKA_RECORDS ?? 600);
/** Records of the straight-insert measurement (its rows are held in memory). */
const INSERT_RECORDS = Math.min(RECORDS, 200);
const INSERT_BATCH_SPANS = 20_000; // the processor's default --max-batch-spans
const INSERT_CONCURRENCY = 2; // the processor's default --insert-lanes
const LATENCY_RATE = 5_000;
/** Agent runs in flight during the latency measurement. */
const LATENCY_RUNS = 10;
const LATENCY_SECONDS = Number(process.env.BENCH_KAFKA_LATENCY_SECONDS ?? 20);
const TARGET_SPANS_PER_SECOND = 15_000;
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 2_000;

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rate = (spans: number, ms: number) => Math.round((spans / ms) * 1000);

/** One agent run of exactly 512 spans: the workflow span, 255 steps each with a chat call, one tool call. */
function emitRun(tracer: Tracer, runId: string): void {
  const t0 = Date.now();
  const run = tracer.startSpan('invoke_workflow research', { startTime: t0, attributes: { [GEN_AI.OPERATION_NAME]: 'invoke_workflow', [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.WORKFLOW_ID]: 'research' } });
  const runContext = trace.setSpan(context.active(), run);
  for (let c = 0; c < 255; c++) {
    const step = { [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.STEP_ID]: `${runId}-${c}`, [FLOWTRACE.NODE_ID]: `node-${c % 7}`, [FLOWTRACE.NODE_TYPE]: 'llm' };
    const stepSpan = tracer.startSpan(`step node-${c % 7}`, { startTime: t0, attributes: step }, runContext);
    const model = c % 3 === 0 ? 'claude-sonnet-4-5' : 'gpt-4o-mini';
    tracer
      .startSpan(
        `chat ${model}`,
        {
          kind: SpanKind.CLIENT,
          startTime: t0,
          attributes: {
            ...step,
            [GEN_AI.OPERATION_NAME]: 'chat',
            [GEN_AI.PROVIDER_NAME]: c % 3 === 0 ? 'anthropic' : 'openai',
            [GEN_AI.REQUEST_MODEL]: model,
            [GEN_AI.RESPONSE_MODEL]: model,
            [GEN_AI.USAGE_INPUT_TOKENS]: 800 + c,
            [GEN_AI.USAGE_OUTPUT_TOKENS]: 120 + (c % 50),
            [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: c % 4 === 0 ? 512 : 0,
            'gen_ai.response.finish_reasons': ['stop'],
            [FLOWTRACE.ATTEMPT]: 1,
          },
        },
        trace.setSpan(runContext, stepSpan),
      )
      .end(t0 + 5);
    stepSpan.end(t0 + 6);
  }
  tracer.startSpan('execute_tool search', { startTime: t0, attributes: { [GEN_AI.OPERATION_NAME]: 'execute_tool', 'gen_ai.tool.name': 'search', [FLOWTRACE.RUN_ID]: runId } }, runContext).end(t0 + 3);
  run.end(t0 + 10);
}

/** Fills the topic with RECORDS records of 512 spans (one run each), in the collector's format. */
async function prefill(kafka: Kafka): Promise<void> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('bench');
  const exporter = new KafkaOtlpExporter(kafka, { topic: TOPIC });
  await exporter.start();
  const started = Date.now();
  for (let i = 0; i < RECORDS; i++) {
    emitRun(tracer, `bench-run-${i}`);
    const spans = memory.getFinishedSpans();
    memory.reset();
    if (spans.length !== SPANS_PER_RECORD) throw new Error(`expected ${SPANS_PER_RECORD} spans per run, made ${spans.length}`);
    const produced = await exporter.export(ProtobufTraceSerializer.serializeRequest(spans)!);
    if (produced !== 1) throw new Error(`a run became ${produced} records`);
  }
  await exporter.stop();
  log(`prefilled ${TOPIC}: ${RECORDS} records × ${SPANS_PER_RECORD} spans in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function committedRecords(admin: Admin, groupId: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
  return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/**
 * Spans/s of `instances` processors draining the topic into a fresh store, counted from the
 * moment the group is balanced (all instances joined and assigned) to the last commit, so
 * start-up, group join and one instance's head start are not counted.
 */
async function measureProcessors(broker: KafkaBroker, admin: Admin, instances: number): Promise<number> {
  const clickhouse = await startClickHouseHarness();
  const groupId = `bench-${instances}-${Date.now()}`;
  const processors: ProcessorInstance[] = [];
  try {
    await Promise.all(
      Array.from({ length: instances }, async (_, i) => {
        const options = { brokers: broker.bootstrap, clickhouseUrl: clickhouse.url, groupId, sessionTimeoutMs: 10_000, extraArgs: ['--lag-log-interval', '0'] };
        processors.push(await ProcessorInstance.start(`bench-processor-${i}`, options));
      }),
    );
    await waitForBalancedGroup(processors, PARTITIONS, 60_000);
    const start = { at: Date.now(), records: await committedRecords(admin, groupId) };
    if (start.records > RECORDS / 2) throw new Error(`${start.records} of ${RECORDS} records were done before the group was balanced; raise BENCH_KAFKA_RECORDS`);
    let records = start.records;
    const deadline = Date.now() + 600_000;
    while (records < RECORDS) {
      if (Date.now() > deadline) throw new Error(`${instances} processor(s) did not drain the topic: ${records} of ${RECORDS} records committed`);
      await sleep(50);
      records = await committedRecords(admin, groupId);
    }
    const elapsed = Date.now() - start.at;
    const [row] = await clickhouse.query<{ n: number }>('SELECT count() AS n FROM otel_traces FINAL');
    if (row!.n !== RECORDS * SPANS_PER_RECORD) throw new Error(`store holds ${row!.n} spans, expected ${RECORDS * SPANS_PER_RECORD}`);
    return rate((RECORDS - start.records) * SPANS_PER_RECORD, elapsed);
  } finally {
    await Promise.allSettled(processors.map((p) => p.stop()));
    await clickhouse.stop();
  }
}

/** Spans/s of a kafkajs consumer that only reads the records (no decoding, nothing stored), from group join to the last record. */
async function measureBareConsumer(kafka: Kafka): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-bare-${Date.now()}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 24 * 1024 * 1024 });
  let records = 0;
  let joined = 0;
  let last = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = Date.now()));
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      records += batch.messages.length;
      last = Date.now();
    },
  });
  const deadline = Date.now() + 300_000;
  while (records < RECORDS && Date.now() < deadline) await sleep(20);
  await consumer.disconnect();
  if (records < RECORDS) throw new Error(`bare consumer read ${records} of ${RECORDS} records`);
  return rate(records * SPANS_PER_RECORD, Math.max(1, last - joined));
}

/** The topic's first INSERT_RECORDS records, decoded and run through the processors. */
async function normalisedRows(kafka: Kafka): Promise<EnrichedSpan[]> {
  const chain = createProcessorChain();
  const rows: EnrichedSpan[] = [];
  let records = 0;
  const consumer = kafka.consumer({ groupId: `bench-rows-${Date.now()}`, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (records >= INSERT_RECORDS) return;
      records++;
      const { spans } = decodeExportTraceRequest(message.value!, 'protobuf', { projectId: 'default', ...DEFAULT_SPAN_LIMITS });
      for (const span of chain.process(spans)) rows.push(span);
    },
  });
  while (records < INSERT_RECORDS) await sleep(20);
  await consumer.disconnect();
  return rows;
}

/** Spans/s of inserting already-normalised rows into a fresh store, in the processor's insert size and number of concurrent inserts. */
async function measureStraightInsert(rows: EnrichedSpan[]): Promise<number> {
  const clickhouse = await startClickHouseHarness();
  const store = new ClickHouseServerStore({ url: clickhouse.url });
  try {
    const batches: EnrichedSpan[][] = [];
    for (let i = 0; i < rows.length; i += INSERT_BATCH_SPANS) batches.push(rows.slice(i, i + INSERT_BATCH_SPANS));
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: INSERT_CONCURRENCY }, async () => {
        while (next < batches.length) {
          const index = next++;
          await store.insertSpans(batches[index]!, `bench-insert-${index}`);
        }
      }),
    );
    return rate(rows.length, Date.now() - started);
  } finally {
    await store.close();
    await clickhouse.stop();
  }
}

/** Remembers when each span was handed to the OTLP exporter. */
class StampingExporter implements SpanExporter {
  readonly exportedAt = new Map<string, number>();
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const now = Date.now();
    for (const span of spans) this.exportedAt.set(span.spanContext().spanId, now);
    this.inner.export(spans, done);
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Export → stored latency at LATENCY_RATE spans/s through collector, Kafka and one processor.
 * A span counts as stored when its summary reaches the enriched topic, which the processor
 * writes only after ClickHouse acknowledged the insert (so the figure is an upper bound).
 */
async function measureLatency(): Promise<{ p50: number; p99: number; spans: number; lost: number }> {
  const broker = await startKafkaBroker();
  const clickhouse = await startClickHouseHarness();
  const processors: ProcessorInstance[] = [];
  const collector = await startCollector({ kafkaBrokers: broker.bootstrap }).catch(async (err) => {
    await Promise.allSettled([broker.destroy(), clickhouse.stop()]);
    throw err;
  });
  const kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'bench-latency', log: () => {} });
  const arrivals = new Map<string, number>();
  const observer = kafka.consumer({ groupId: `bench-observer-${Date.now()}`, maxWaitTimeInMs: 20 });
  try {
    await createTopic(broker, TOPIC, PARTITIONS);
    await createTopic(broker, KAFKA_TOPICS.ENRICHED, 1);
    processors.push(await ProcessorInstance.start('bench-latency-processor', { brokers: broker.bootstrap, clickhouseUrl: clickhouse.url, groupId: 'bench-latency', extraArgs: ['--lag-log-interval', '0'] }));
    await waitForBalancedGroup(processors, PARTITIONS, 60_000);
    await observer.connect();
    await observer.subscribe({ topic: KAFKA_TOPICS.ENRICHED, fromBeginning: true });
    await observer.run({
      eachMessage: async ({ message }) => {
        const now = Date.now();
        for (const span of parseEnrichedRecord(message.value!).spans) arrivals.set(span.spanId, now);
      },
    });

    const exporter = new StampingExporter(new OTLPTraceExporter({ url: `${collector.otlpHttpEndpoint}/v1/traces` }));
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'bench-latency' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50, maxExportBatchSize: 512, maxQueueSize: 50_000 })],
    });
    const tracer = provider.getTracer('bench-latency');
    // Agent traffic: 10 runs in flight, each lasting 2 s; every 100 ms each adds 25 steps with
    // a chat call (50 spans), so 500 spans per 100 ms. A run's spans share its trace, as in an
    // agent, so the collector writes a few records per batch rather than one per span.
    const spansPerRunPerTick = LATENCY_RATE / 10 / LATENCY_RUNS;
    const live = new Map<string, Span>();
    const started = Date.now();
    for (let tick = 0; tick < LATENCY_SECONDS * 10; tick++) {
      for (let j = 0; j < LATENCY_RUNS; j++) {
        const runId = `latency-${Math.floor(tick / 20)}-${j}`;
        let run = live.get(runId);
        if (!run) live.set(runId, (run = tracer.startSpan('invoke_workflow agent', { attributes: { [GEN_AI.OPERATION_NAME]: 'invoke_workflow', [FLOWTRACE.RUN_ID]: runId } })));
        const runContext = trace.setSpan(context.active(), run);
        for (let i = 0; i < spansPerRunPerTick / 2; i++) {
          const step = tracer.startSpan('step answer', { attributes: { [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.NODE_TYPE]: 'llm' } }, runContext);
          tracer
            .startSpan('chat gpt-4o-mini', {
              kind: SpanKind.CLIENT,
              attributes: { [FLOWTRACE.RUN_ID]: runId, [GEN_AI.OPERATION_NAME]: 'chat', [GEN_AI.PROVIDER_NAME]: 'openai', [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini', [GEN_AI.USAGE_INPUT_TOKENS]: 900, [GEN_AI.USAGE_OUTPUT_TOKENS]: 150 },
            }, trace.setSpan(runContext, step))
            .end();
          step.end();
        }
        if (tick % 20 === 19) {
          run.end();
          live.delete(runId);
        }
      }
      const wait = started + (tick + 1) * 100 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    for (const run of live.values()) run.end();
    await provider.forceFlush();
    const sent = exporter.exportedAt.size;
    const deadline = Date.now() + 60_000;
    while (arrivals.size < sent && Date.now() < deadline) await sleep(100);
    await provider.shutdown();

    const latencies: number[] = [];
    for (const [spanId, exportedAt] of exporter.exportedAt) {
      const arrived = arrivals.get(spanId);
      if (arrived !== undefined) latencies.push(arrived - exportedAt);
    }
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), spans: sent, lost: sent - latencies.length };
  } finally {
    await observer.disconnect().catch(() => {});
    await Promise.allSettled(processors.map((p) => p.stop()));
    await collector.stop();
    await Promise.allSettled([broker.destroy(), clickhouse.stop()]);
  }
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

async function reportLatency(): Promise<Awaited<ReturnType<typeof measureLatency>>> {
  const latency = await measureLatency();
  log(`end-to-end latency at ${LATENCY_RATE} spans/s: p50 ${latency.p50} ms, p99 ${latency.p99} ms (${latency.spans} spans, ${latency.lost} not seen)`);
  return latency;
}

async function main(): Promise<void> {
  if (process.env.BENCH_KAFKA_PART === 'latency') return void (await reportLatency());
  const loadAtStart = loadavg()[0]!;
  const broker = await startKafkaBroker({ heapMb: 1024 });
  const kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'bench-kafka', log: () => {} });
  const admin = kafka.admin();
  let results: Record<string, number>;
  try {
    await admin.connect();
    await createTopic(broker, TOPIC, PARTITIONS);
    await prefill(kafka);
    const bare = await measureBareConsumer(kafka);
    log(`bare kafkajs consumer: ${bare} spans/s`);
    const insert = await measureStraightInsert(await normalisedRows(kafka));
    log(`straight insert of normalised rows: ${insert} spans/s`);
    const one = await measureProcessors(broker, admin, 1);
    log(`flowtrace process ×1: ${one} spans/s`);
    const two = await measureProcessors(broker, admin, 2);
    log(`flowtrace process ×2: ${two} spans/s`);
    results = { bare, insert, one, two };
  } finally {
    await admin.disconnect().catch(() => {});
    await broker.destroy();
  }
  const latency = await reportLatency();

  const ceiling = Math.min(results.bare!, results.insert!);
  const ratio = results.one! / ceiling;
  const lines = [
    `| processor ×1 into ClickHouse | ${results.one} spans/s | ≥ ${TARGET_SPANS_PER_SECOND} | ${verdict(results.one! >= TARGET_SPANS_PER_SECOND)} |`,
    `| processor ×2 into ClickHouse | ${results.two} spans/s | | |`,
    `| bare kafkajs consumer (drain only) | ${results.bare} spans/s | | |`,
    `| straight insert of normalised rows | ${results.insert} spans/s | | |`,
    `| ceiling = slower of the two | ${ceiling} spans/s | | |`,
    `| ratio processor ×1 / ceiling | ${ratio.toFixed(2)} | ≥ ${TARGET_RATIO} | ${verdict(ratio >= TARGET_RATIO)} |`,
    `| export → stored latency p50 at ${LATENCY_RATE} spans/s | ${latency.p50} ms | | |`,
    `| export → stored latency p99 at ${LATENCY_RATE} spans/s | ${latency.p99} ms | ≤ ${TARGET_P99_MS} ms | ${verdict(latency.p99 <= TARGET_P99_MS && latency.lost === 0)} |`,
  ];
  const body = [
    `Pre-filled \`${TOPIC}\` (${PARTITIONS} partitions): ${RECORDS} records × ${SPANS_PER_RECORD} GenAI spans. ClickHouse: the embedded engine behind the`,
    'ClickHouse HTTP interface in its own process (what `flowtrace process` instances share in the tests).',
    `Latency: OTel SDK → collector → Kafka → one processor → ClickHouse, ${LATENCY_SECONDS} s at ${LATENCY_RATE} spans/s, measured to the enriched record (written after the insert is acknowledged).`,
    'Two instances share the one store, so both figures are bounded by the same insert ceiling.',
    `Load average (1 min) at start: ${loadAtStart.toFixed(1)}. Command: \`npm run bench:kafka\`.`,
    '',
    '| measure | result | target | |',
    '| --- | --- | --- | --- |',
    ...lines,
  ].join('\n');
  process.stdout.write(`${body}\n`);
  recordSection('bench:kafka', body);
  log('recorded in BENCHMARKS.md');
}

await main();
