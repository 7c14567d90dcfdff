// The distributed path end to end with real parts: OTel JS SDK → OTLP/HTTP protobuf → the
// collector built with ocb → Kafka 4.1 (3 partitions) → `flowtrace process` instances in one
// consumer group → ClickHouse (the engine behind the ClickHouse HTTP interface, in its own
// process). Every check ends with exact counts and cost sums, computed from what was emitted.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { KAFKA_TOPICS } from '../../core/defaults.ts';
import { collectorCompatiblePartitioner } from '../../exporters/kafka-otlp/index.ts';
import { DEAD_LETTER_HEADERS } from '../../ingest/kafka/index.ts';
import { spansOfExportRequest } from '../support/otlp-wire.ts';
import { skipWithoutRealComponents } from '../support/real-components.ts';
import { exportSpans, genAiWorkload } from './support/genai-workload.ts';
import { waitForBalancedGroup } from './support/processors.ts';
import { PARTITIONS, SPANS_TOPIC as TOPIC, startDistributedStack, type DistributedStack } from './support/stack.ts';
import { exactly, storedTotals, waitUntilStored } from './support/totals.ts';

describe.skipIf(skipWithoutRealComponents('kafka', 'collector'))('distributed pipeline', () => {
  let stack: DistributedStack;

  /** Reads records of `topic` from the beginning until `done` says enough (or the timeout). */
  async function readTopic(topic: string, done: (records: KafkaMessage[]) => boolean, timeoutMs = 30_000): Promise<KafkaMessage[]> {
    const records: KafkaMessage[] = [];
    const reader = stack.kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    try {
      await reader.subscribe({ topic, fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void records.push(message) });
      const deadline = Date.now() + timeoutMs;
      while (!done(records) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await reader.disconnect();
    }
    return records;
  }

  /** Waits until the workload is stored and every record committed, within `timeoutMs`. */
  const stored = (label: string, spans: number, timeoutMs = 60_000) =>
    waitUntilStored(stack.clickhouse, stack.admin, stack.groupId, TOPIC, label, spans, timeoutMs);

  beforeAll(async () => {
    stack = await startDistributedStack(2);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('stores every span exactly once with two processors sharing the partitions, cost sums exact', async () => {
    const workload = genAiWorkload(`e2e-${randomUUID().slice(0, 8)}`, 60, 5);
    await exportSpans(stack.collector.otlpHttpEndpoint, workload.spans);

    await stored(workload.label, workload.expected.spans);

    expect(await storedTotals(stack.clickhouse, workload.label)).toEqual(exactly(workload.expected));
    const processed = await Promise.all(stack.processors.map((p) => p.metric('flowtrace_processor_spans_processed_total')));
    expect(processed.every((n) => n > 0), `spans processed per instance: ${processed.join(', ')}`).toBe(true);
    expect(processed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(workload.expected.spans);
  }, 120_000);

  it('keeps totals exact when the collector redelivers a batch (the same records produced again)', async () => {
    const workload = genAiWorkload(`redelivery-${randomUUID().slice(0, 8)}`, 30, 4);
    await exportSpans(stack.collector.otlpHttpEndpoint, workload.spans);
    await stored(workload.label, workload.expected.spans);
    const processedBefore = await stack.metricSum('spans_processed_total');

    // The records of this workload, as the collector wrote them, produced a second time.
    const traceIds = new Set(workload.spans.map((s) => s.spanContext().traceId));
    const isOurs = (m: KafkaMessage) => traceIds.has(m.key?.toString() ?? '');
    const sent = workload.spans.length;
    const records = await readTopic(TOPIC, (rs) => rs.filter(isOurs).reduce((n, m) => n + spansOfExportRequest(m.value!).length, 0) >= sent);
    const ours = records.filter(isOurs);
    expect(ours.reduce((n, m) => n + spansOfExportRequest(m.value!).length, 0)).toBe(sent);
    const producer = stack.kafka.producer({ createPartitioner: collectorCompatiblePartitioner });
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: -1, messages: ours.map((m) => ({ key: m.key, value: m.value })) });
    await producer.disconnect();

    await stored(workload.label, workload.expected.spans);

    expect(await stack.metricSum('spans_processed_total')).toBeGreaterThanOrEqual(processedBefore + sent);
    expect(await storedTotals(stack.clickhouse, workload.label)).toEqual(exactly(workload.expected));
  }, 120_000);

  it('sends a poison record to the dead-letter topic with its origin, and its partition keeps flowing', async () => {
    const poison = Buffer.from(`not OTLP ${randomUUID()}`);
    const producer = stack.kafka.producer();
    await producer.connect();
    // One in every partition, ahead of the next workload's records.
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ key: 'poison', value: poison, partition })) });
    await producer.disconnect();
    const workload = genAiWorkload(`poison-${randomUUID().slice(0, 8)}`, 45, 3);
    await exportSpans(stack.collector.otlpHttpEndpoint, workload.spans);

    await stored(workload.label, workload.expected.spans);

    expect(await storedTotals(stack.clickhouse, workload.label)).toEqual(exactly(workload.expected));
    const letters = (await readTopic(KAFKA_TOPICS.DEAD_LETTER, (rs) => rs.filter((m) => m.value?.equals(poison)).length >= PARTITIONS)).filter((m) => m.value?.equals(poison));
    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    expect(letters.map((m) => header(m, DEAD_LETTER_HEADERS.PARTITION)).sort()).toEqual(['0', '1', '2']);
    for (const m of letters) {
      expect(header(m, DEAD_LETTER_HEADERS.REASON)).toBe('undecodable');
      expect(header(m, DEAD_LETTER_HEADERS.TOPIC)).toBe(TOPIC);
      expect(header(m, DEAD_LETTER_HEADERS.OFFSET)).toMatch(/^\d+$/);
      expect(header(m, DEAD_LETTER_HEADERS.ERROR)).toContain('not an OTLP ExportTraceServiceRequest');
    }
  }, 120_000);

  it('rebalances without loss or duplicates when a third processor joins during the load', async () => {
    const workload = genAiWorkload(`scale-out-${randomUUID().slice(0, 8)}`, 240, 5);
    const half = Math.floor(workload.spans.length / 2);
    // The third instance starts while the first half streams in (~8 s); the second half is
    // sent once it has its partition, so it certainly takes part.
    const [third] = await Promise.all([
      stack.startProcessor('processor-c'),
      exportSpans(stack.collector.otlpHttpEndpoint, workload.spans.slice(0, half), 110, 500),
    ]);
    await waitForBalancedGroup(stack.processors, PARTITIONS, 60_000);
    await exportSpans(stack.collector.otlpHttpEndpoint, workload.spans.slice(half), 110, 200);

    await stored(workload.label, workload.expected.spans, 90_000);

    expect(await storedTotals(stack.clickhouse, workload.label)).toEqual(exactly(workload.expected));
    expect(third.assignedPartitions()).toHaveLength(1);
    expect(await third.metric('flowtrace_processor_spans_processed_total')).toBeGreaterThan(0);
  }, 150_000);
});
