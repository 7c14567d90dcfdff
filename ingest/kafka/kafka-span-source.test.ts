// KafkaSpanSource against a real Kafka 4.1 broker: offsets move only after the writer
// resolved, failed writes are retried (never skipped), unusable records go to the
// dead-letter topic with their origin while the partition keeps flowing, and a stop
// finishes or abandons the batch in flight without committing ahead of its data.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { ExportTraceServiceRequest } from '../otlp/schema.ts';
import { startKafkaBroker, type KafkaBroker } from '../../test/support/kafka-broker.ts';
import { skipWithoutRealComponents } from '../../test/support/real-components.ts';
import { createTopic } from '../../test/distributed/support/stack.ts';
import { createKafkaClient } from './client.ts';
import { DEAD_LETTER_HEADERS } from './dead-letter.ts';
import { KafkaSpanSource, type BatchWriter } from './kafka-span-source.ts';
import type { SourceBatch } from './record-chunks.ts';

/** An ExportTraceServiceRequest with `spans` spans of one trace, span names prefixed by `label`. */
function request(label: string, spans: number, nameBytes = 0): Buffer {
  const traceId = Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
  return Buffer.from(
    ExportTraceServiceRequest.encode(
      ExportTraceServiceRequest.fromObject({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'source-test' } }] },
            scopeSpans: [
              {
                spans: Array.from({ length: spans }, (_, i) => ({
                  traceId,
                  spanId: Buffer.from(randomUUID().replaceAll('-', '').slice(0, 16), 'hex'),
                  name: `${label}/${i}${'x'.repeat(nameBytes)}`,
                  kind: 1,
                  startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
                  endTimeUnixNano: 1_700_000_000_500_000_000n.toString(),
                })),
              },
            ],
          },
        ],
      }),
    ).finish(),
  );
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skipWithoutRealComponents('kafka'))('KafkaSpanSource', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let admin: Admin;
  const sources: KafkaSpanSource[] = [];
  const kafkaLog: string[] = [];

  beforeAll(async () => {
    broker = await startKafkaBroker();
    kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'source-test', log: (line) => kafkaLog.push(line) });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(sources.map((s) => s.stop()));
    await admin?.disconnect();
    await broker?.destroy();
  });

  /** A fresh topic holding `values` in partition 0 (in order), and a group name for it. */
  async function topicWith(values: Array<Buffer | null>): Promise<{ topic: string; groupId: string }> {
    const topic = `spans-${randomUUID()}`;
    await createTopic(broker, topic, 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value, partition: 0 })) });
    await producer.disconnect();
    return { topic, groupId: `group-${randomUUID()}` };
  }

  function source(topic: string, groupId: string, write: BatchWriter, extra: object = {}): KafkaSpanSource {
    const s = new KafkaSpanSource(
      kafka,
      { topic, groupId, deadLetterTopic: `${topic}.dlq`, retryInitialMs: 100, retryMaxMs: 300, fetchMaxWaitMs: 100, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, ...extra },
      write,
    );
    sources.push(s);
    return s;
  }

  async function committedOffset(groupId: string, topic: string): Promise<string> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets!.partitions.find((p) => p.partition === 0)!.offset;
  }

  it('commits a range only after its write resolved, retrying a failing write with the same token', async () => {
    const { topic, groupId } = await topicWith([request('a', 2), request('b', 2), request('c', 2)]);
    const attempts: SourceBatch[] = [];
    const committedDuringFailures: string[] = [];
    const s = source(topic, groupId, async (batch) => {
      attempts.push(batch);
      if (attempts.length <= 2) {
        committedDuringFailures.push(await committedOffset(groupId, topic));
        throw new Error('ClickHouse unavailable');
      }
    });
    await s.start();

    await until(async () => (await committedOffset(groupId, topic)) === '3', 30_000, 'offset 3 committed');
    await s.stop();

    expect(committedDuringFailures).toEqual(['-1', '-1']);
    expect(attempts).toHaveLength(3);
    const tokens = new Set(attempts.map((a) => a.dedupToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(new RegExp(`^${topic}:0:0-2@\\d{13}$`));
    expect(attempts[2]!.spans.map((x) => x.name.split('/')[0]).sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    expect(attempts[2]!.records).toBe(3);
  });

  it('commits ranges in offset order even when a later range is stored first', async () => {
    const { topic, groupId } = await topicWith([request('a', 2), request('b', 2), request('c', 2)]);
    let release!: () => void;
    const firstReleased = new Promise<void>((r) => (release = r));
    const stored: string[] = [];
    // One record per range (2 spans each), so the three records are three writes in flight.
    const s = source(topic, groupId, async (batch) => {
      if (batch.firstOffset === '0') await firstReleased;
      stored.push(batch.firstOffset);
    }, { maxBatchSpans: 2, maxInFlightChunks: 3 });
    await s.start();
    await until(() => stored.length === 2, 30_000, 'the later ranges stored');

    expect(stored).toEqual(['1', '2']);
    await new Promise((r) => setTimeout(r, 500));
    expect(await committedOffset(groupId, topic)).toBe('-1');
    release();
    await until(async () => (await committedOffset(groupId, topic)) === '3', 30_000, 'offset 3 committed');
    await s.stop();
  });

  it('sends undecodable, empty and oversized records to the dead-letter topic with their origin, and keeps the partition flowing', async () => {
    const good = [request('first', 3), request('last', 1)];
    const garbage = Buffer.from('this is not an OTLP request');
    const oversized = request('big', 2, 3_000);
    const { topic, groupId } = await topicWith([good[0]!, garbage, null, oversized, good[1]!]);
    const written: SourceBatch[] = [];
    const s = source(topic, groupId, async (batch) => void written.push(batch), { maxRecordBytes: 4_000 });
    await s.start();
    await until(async () => (await committedOffset(groupId, topic)) === '5', 30_000, 'offset 5 committed');
    await s.stop();

    expect(written.flatMap((b) => b.spans.map((x) => x.name.split('/')[0]))).toEqual(['first', 'first', 'first', 'last']);

    const letters: KafkaMessage[] = [];
    const reader = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void letters.push(message) });
    await until(() => letters.length >= 3, 30_000, 'three dead letters');
    await reader.disconnect();

    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    expect(letters.map((m) => [header(m, DEAD_LETTER_HEADERS.REASON), header(m, DEAD_LETTER_HEADERS.OFFSET)])).toEqual([
      ['undecodable', '1'],
      ['no_value', '2'],
      ['oversized', '3'],
    ]);
    for (const m of letters) {
      expect(header(m, DEAD_LETTER_HEADERS.TOPIC)).toBe(topic);
      expect(header(m, DEAD_LETTER_HEADERS.PARTITION)).toBe('0');
      expect(header(m, DEAD_LETTER_HEADERS.GROUP)).toBe(groupId);
      expect(header(m, DEAD_LETTER_HEADERS.TIMESTAMP)).toMatch(/^\d{13}$/);
    }
    expect(header(letters[0]!, DEAD_LETTER_HEADERS.ERROR)).toContain('not an OTLP ExportTraceServiceRequest');
    expect(header(letters[2]!, DEAD_LETTER_HEADERS.ERROR)).toBe(`record value of ${oversized.length} bytes exceeds the limit of 4000 bytes`);
    expect(letters[0]!.value).toEqual(garbage);
    expect(letters[1]!.value).toBeNull();
    expect(letters[2]!.value).toEqual(oversized);
  });

  it('on stop, finishes the write in flight and commits it', async () => {
    const { topic, groupId } = await topicWith([request('a', 1), request('b', 1)]);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let calls = 0;
    const s = source(topic, groupId, async () => {
      calls++;
      await released;
    });
    await s.start();
    await until(() => calls === 1, 30_000, 'the first write');

    const stopped = s.stop();
    await new Promise((r) => setTimeout(r, 500));
    release();
    await stopped;

    expect(await committedOffset(groupId, topic)).toBe('2');
  });

  it('waits for a spans topic that does not exist yet (the broker creates it on first request)', async () => {
    const topic = `spans-${randomUUID()}`;
    const groupId = `group-${randomUUID()}`;
    const written: SourceBatch[] = [];
    const s = source(topic, groupId, async (batch) => void written.push(batch));
    await s.start();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: request('late', 2) }] });
    await producer.disconnect();

    await until(async () => (await committedOffset(groupId, topic).catch(() => '')) === '1', 30_000, 'offset 1 committed');
    await s.stop();
    expect(written.flatMap((b) => b.spans.map((x) => x.name))).toEqual(['late/0', 'late/1']);
  });

  it('reports lag, and on stop abandons a write that keeps failing without committing it', async () => {
    const { topic, groupId } = await topicWith([request('a', 1), request('b', 1), request('c', 1), request('d', 1)]);
    let attempts = 0;
    const s = source(topic, groupId, async () => {
      attempts++;
      throw new Error('inserts refused');
    });
    await s.start();
    await until(() => attempts >= 3, 30_000, 'three failed attempts');

    expect(s.assignedPartitions()).toEqual([0]);
    expect(await s.lag()).toEqual([{ partition: 0, highWatermark: 4n, committedOffset: 0n, lag: 4n }]);
    const started = Date.now();
    await s.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await committedOffset(groupId, topic)).toBe('-1');
  });
});
