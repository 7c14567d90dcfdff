// The stand-alone tail's live feed against a real Kafka 4.1 broker: spans stored and
// announced on `flowtrace.enriched` (as `flowtrace process` does) reach SSE clients with the
// same events a replay from storage gives.
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_TOPICS } from '../../core/defaults.ts';
import { EnrichedSpanPublisher } from '../../exporters/kafka-enriched/index.ts';
import { createKafkaClient } from '../../ingest/kafka/index.ts';
import { startKafkaBroker, type KafkaBroker } from '../../test/support/kafka-broker.ts';
import { expectedEvents, supportRun } from '../test-support/expected-events.ts';
import { startTailHarness, type TailHarness } from '../test-support/harness.ts';
import { batchesOf } from '../test-support/run-records.ts';
import { SseTestClient } from '../test-support/sse-client.ts';
import { EnrichedTopicBus } from './enriched-topic-bus.ts';

describe('EnrichedTopicBus', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let publisher: EnrichedSpanPublisher;
  let bus: EnrichedTopicBus;
  let h: TailHarness;

  beforeAll(async () => {
    broker = await startKafkaBroker();
    await broker.createTopic(KAFKA_TOPICS.ENRICHED, 2);
    kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'tail-test', log: () => {} });
    publisher = new EnrichedSpanPublisher(kafka);
    await publisher.start();
    h = await startTailHarness(
      {},
      {
        bus: (store) => (bus = new EnrichedTopicBus(kafka, store, { groupId: `tail-test-${process.pid}` })),
        announce: (spans) => publisher.publish(spans),
      },
    );
    await bus.start();
  }, 180_000);
  afterAll(async () => {
    await bus?.stop();
    await publisher?.stop();
    await h?.close();
    await broker?.destroy();
  });

  it('streams stored spans announced on the topic, with the events a replay gives', async () => {
    const records = supportRun('run-kafka', Date.parse('2026-03-02T09:00:00Z'), { capture: true });
    const live = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-kafka/stream`);
    // The consumer joined at start; its first fetch fixes the "end" it reads from.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const batch of batchesOf(records, 4)) await h.ingest(batch);
    await live.waitFor((c) => c.traceEvents().some((e) => e.kind === 'run.status'), 30_000, 'run.status over Kafka');
    expect(live.traceEvents().map((e) => ({ id: e.id, kind: e.kind }))).toEqual(expectedEvents(records));

    const replay = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-kafka/stream`);
    await replay.waitFor((c) => c.traceEvents().some((e) => e.kind === 'run.status'), 10_000, 'run.status from storage');
    expect(live.traceEvents()).toEqual(replay.traceEvents());
    live.close();
    replay.close();
  });
});
