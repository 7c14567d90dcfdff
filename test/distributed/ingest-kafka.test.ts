// `flowtrace ingest --kafka` against the real collector: the same traces sent to both must
// land in Kafka the same way — one ExportTraceServiceRequest per trace, keyed by the hex trace
// id, on the same partition — and a 200 must mean Kafka acknowledged (503 while it cannot).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { KAFKA_TOPICS } from '../../core/defaults.ts';
import { createKafkaClient } from '../../ingest/kafka/index.ts';
import { startCollector, type RunningCollector } from '../support/collector.ts';
import { startKafkaBroker, type KafkaBroker } from '../support/kafka-broker.ts';
import { spansOfExportRequest } from '../support/otlp-wire.ts';
import { ManagedProcess, waitUntilReady } from '../support/process.ts';
import { REPO_ROOT, skipWithoutRealComponents } from '../support/real-components.ts';
import { exportSpans, genAiWorkload } from './support/genai-workload.ts';
import { createTopic } from './support/stack.ts';

const DIRECT_TOPIC = 'otlp_spans_direct';

interface TopicView {
  /** key → partition (a key on two partitions is recorded as -1). */
  partitions: Map<string, number>;
  /** key → sorted "traceId/spanId/name" of all its spans. */
  spans: Map<string, string[]>;
  records: number;
}

describe.skipIf(skipWithoutRealComponents('kafka', 'collector'))('flowtrace ingest --kafka', () => {
  let broker: KafkaBroker;
  let collector: RunningCollector;
  let ingest: ManagedProcess;
  let endpoint: string;
  let kafka: Kafka;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'flowtrace-ingest-kafka-'));
    broker = await startKafkaBroker();
    await createTopic(broker, KAFKA_TOPICS.SPANS, 3);
    await createTopic(broker, DIRECT_TOPIC, 3);
    kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'ingest-test', log: () => {} });
    collector = await startCollector({ kafkaBrokers: broker.bootstrap });
    const logFile = join(workDir, 'ingest.log');
    ingest = await ManagedProcess.start({
      name: 'flowtrace ingest',
      command: process.execPath,
      args: [join(REPO_ROOT, 'bin/flowtrace.js'), 'ingest', '--kafka', '--brokers', broker.bootstrap, '--topic', DIRECT_TOPIC, '--port', '0', '--delivery-timeout', '3000'],
      logFile,
      cwd: REPO_ROOT,
    });
    await waitUntilReady(
      ingest,
      async () => {
        const match = /OTLP\/HTTP on (http:\/\/[\d.]+:\d+)\/v1\/traces/.exec(readFileSync(logFile, 'utf8'));
        if (match) endpoint = match[1]!;
        return match !== null;
      },
      60_000,
      'listening',
    );
  }, 180_000);

  afterAll(async () => {
    await ingest?.stop();
    await collector?.stop();
    await broker?.destroy();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** Reads `topic` until the spans of `traceIds` are all there (`spanCount` in total). */
  async function view(topic: string, traceIds: Set<string>, spanCount: number): Promise<TopicView> {
    const result: TopicView = { partitions: new Map(), spans: new Map(), records: 0 };
    let seen = 0;
    const reader = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString() ?? '';
        if (!traceIds.has(key)) return;
        const spans = spansOfExportRequest(message.value!);
        result.records++;
        seen += spans.length;
        const known = result.partitions.get(key);
        result.partitions.set(key, known === undefined || known === partition ? partition : -1);
        result.spans.set(key, [...(result.spans.get(key) ?? []), ...spans.map((s) => `${s.traceId}/${s.spanId}/${s.name}`)].sort());
      },
    });
    const deadline = Date.now() + 30_000;
    while (seen < spanCount && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await reader.disconnect();
    return result;
  }

  it('writes the records the collector writes: one trace per record, hex trace id key, same partition', async () => {
    const workload = genAiWorkload(`ingest-${randomUUID().slice(0, 8)}`, 24, 2);
    await Promise.all([exportSpans(collector.otlpHttpEndpoint, workload.spans, 50), exportSpans(endpoint, workload.spans, 50)]);
    const traceIds = new Set(workload.spans.map((s) => s.spanContext().traceId));

    const [viaCollector, viaIngest] = await Promise.all([
      view(KAFKA_TOPICS.SPANS, traceIds, workload.spans.length),
      view(DIRECT_TOPIC, traceIds, workload.spans.length),
    ]);

    expect(viaIngest.spans.size).toBe(24);
    expect(viaIngest.spans).toEqual(viaCollector.spans);
    expect(viaIngest.partitions).toEqual(viaCollector.partitions);
    expect([...viaIngest.partitions.values()]).not.toContain(-1);
    for (const [key, spans] of viaIngest.spans) for (const span of spans) expect(span.startsWith(`${key}/`)).toBe(true);
  }, 120_000);

  it('turns an OTLP/JSON request into protobuf records', async () => {
    const workload = genAiWorkload(`ingest-json-${randomUUID().slice(0, 8)}`, 3, 1);
    const response = await fetch(`${endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JsonTraceSerializer.serializeRequest(workload.spans)!),
    });
    expect(response.status).toBe(200);

    const traceIds = new Set(workload.spans.map((s) => s.spanContext().traceId));
    const records = await view(DIRECT_TOPIC, traceIds, workload.spans.length);
    expect([...records.spans.values()].flat().sort()).toEqual(workload.spans.map((s) => `${s.spanContext().traceId}/${s.spanContext().spanId}/${s.name}`).sort());
  }, 60_000);

  it('answers 503 with Retry-After while Kafka is down, and 200 again once it is back', async () => {
    const body = () => Buffer.from(JsonTraceSerializer.serializeRequest(genAiWorkload(`ingest-outage-${randomUUID().slice(0, 8)}`, 1, 1).spans)!);
    const post = () => fetch(`${endpoint}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body() });
    await broker.stop();
    try {
      const started = Date.now();
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { message: string }).message).toContain('Kafka did not acknowledge');
      // --delivery-timeout 3000: answered well before a client would give up.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await broker.restart();
    }
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await post()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
  }, 120_000);
});
