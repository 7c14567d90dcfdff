// The distributed ingest path with real parts: OTel SDK → OTLP/HTTP (protobuf) → the collector
// built from collector/builder-config.yaml running otel-collector-config.yaml → Kafka 4.1 broker.
// Checks the contract the processor relies on (DESIGN.md §3): one ExportTraceServiceRequest per
// record, one trace per record, record key = hex trace id — and that a broker outage loses nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { context, trace, type Tracer } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { KAFKA_TOPICS } from '../core/defaults.ts';
import { startCollector, type RunningCollector } from './support/collector.ts';
import { startKafkaBroker, type KafkaBroker } from './support/kafka-broker.ts';
import { spansOfExportRequest, type WireSpan } from './support/otlp-wire.ts';
import { skipWithoutRealComponents } from './support/real-components.ts';

interface SpanRecordOnKafka {
  key: string;
  spans: WireSpan[];
}

/** Builds `traceCount` traces of 1..n spans (root + children) and returns them finished. */
function makeTraces(traceCount: number, label: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'collector-kafka-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer: Tracer = provider.getTracer('collector-kafka-test');
  for (let t = 0; t < traceCount; t++) {
    const root = tracer.startSpan(`${label} run ${t}`);
    const parent = trace.setSpan(context.active(), root);
    for (let c = 0; c < t; c++) tracer.startSpan(`${label} step ${t}.${c}`, {}, parent).end();
    root.end();
  }
  return memory.getFinishedSpans();
}

/** Sends spans in one OTLP/HTTP protobuf request and resolves with the exporter's verdict. */
function exportOnce(endpoint: string, spans: ReadableSpan[]): Promise<ExportResultCode> {
  const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces` });
  return new Promise<ExportResultCode>((resolve) => exporter.export(spans, (result) => resolve(result.code))).finally(() =>
    exporter.shutdown(),
  );
}

/** Reads the spans topic from the beginning until every wanted span id was seen (or the timeout). */
async function readRecords(bootstrap: string, wantedSpanIds: Set<string>, timeoutMs: number): Promise<SpanRecordOnKafka[]> {
  const kafka = new Kafka({ clientId: 'collector-kafka-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `collector-kafka-test-${randomUUID()}` });
  const records: SpanRecordOnKafka[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: KAFKA_TOPICS.SPANS, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const spans = spansOfExportRequest(message.value ?? Buffer.alloc(0));
            if (!spans.some((s) => wantedSpanIds.has(s.spanId))) return; // another test's record
            records.push({ key: message.key?.toString() ?? '', spans });
            for (const s of spans) seen.add(s.spanId);
            if ([...wantedSpanIds].every((id) => seen.has(id))) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

function expectOneTracePerRecord(records: SpanRecordOnKafka[], sent: ReadableSpan[]): void {
  for (const record of records) {
    expect(record.key).toMatch(/^[0-9a-f]{32}$/);
    expect(record.spans.length).toBeGreaterThan(0);
    expect(new Set(record.spans.map((s) => s.traceId))).toEqual(new Set([record.key]));
  }
  const received = records.flatMap((r) => r.spans.map((s) => `${s.traceId}/${s.spanId}/${s.name}`)).sort();
  const expected = sent.map((s) => `${s.spanContext().traceId}/${s.spanContext().spanId}/${s.name}`).sort();
  expect(received).toEqual(expected);
}

describe.skipIf(skipWithoutRealComponents('kafka', 'collector'))('collector → Kafka', () => {
  let broker: KafkaBroker;
  let collector: RunningCollector;

  beforeAll(async () => {
    broker = await startKafkaBroker();
    await broker.createTopic(KAFKA_TOPICS.SPANS, 3);
    collector = await startCollector({ kafkaBrokers: broker.bootstrap });
  });

  afterAll(async () => {
    await collector?.stop();
    await broker?.destroy();
  });

  it('writes one OTLP protobuf record per trace, keyed by the hex trace id', async () => {
    const spans = makeTraces(6, 'healthy'); // 6 traces, 21 spans, one request
    expect(await exportOnce(collector.otlpHttpEndpoint, spans)).toBe(ExportResultCode.SUCCESS);

    const records = await readRecords(broker.bootstrap, new Set(spans.map((s) => s.spanContext().spanId)), 30_000);

    expectOneTracePerRecord(records, spans);
    expect(new Set(records.map((r) => r.key)).size).toBe(6);
  });

  it('keeps spans sent while the broker is down and delivers them after a 20 s outage', async () => {
    await broker.stop();
    const spans = makeTraces(4, 'outage');
    // The collector accepts and queues while Kafka is unreachable.
    expect(await exportOnce(collector.otlpHttpEndpoint, spans)).toBe(ExportResultCode.SUCCESS);
    await new Promise((r) => setTimeout(r, 20_000));
    await broker.restart();

    const records = await readRecords(broker.bootstrap, new Set(spans.map((s) => s.spanContext().spanId)), 60_000);

    expectOneTracePerRecord(records, spans);
  }, 150_000);
});
