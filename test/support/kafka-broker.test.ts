// The broker helper's contract that outage tests build on: same address across restarts,
// acknowledged records survive a crash (kill) and a graceful stop, topics get the partitions asked for.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startKafkaBroker, type KafkaBroker } from './kafka-broker.ts';
import { skipWithoutRealComponents } from './real-components.ts';

describe.skipIf(skipWithoutRealComponents('kafka'))('startKafkaBroker', () => {
  let broker: KafkaBroker;
  const kafka = () =>
    new Kafka({ clientId: 'kafka-broker-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 200 } });

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    await producer.disconnect();
  }

  async function consumeAll(topic: string, expected: number): Promise<string[]> {
    const consumer = kafka().consumer({ groupId: `kafka-broker-test-${randomUUID()}` });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return values.sort();
  }

  beforeAll(async () => {
    broker = await startKafkaBroker();
  });

  afterAll(async () => {
    await broker?.destroy();
  });

  it('serves on a loopback address and creates topics with the requested partitions', async () => {
    expect(broker.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    await broker.createTopic('partitioned', 4);
    const admin = kafka().admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: ['partitioned'] });
    await admin.disconnect();
    expect(metadata.topics[0].partitions).toHaveLength(4);
  });

  it('keeps acknowledged records and its address across a crash and a graceful restart', async () => {
    const address = broker.bootstrap;
    await broker.createTopic('durable', 2);
    const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
    await produce('durable', before);

    await broker.kill();
    await expect(produce('durable', ['while-down'])).rejects.toThrow();
    await broker.restart();
    await broker.stop();
    await broker.restart();

    expect(broker.bootstrap).toBe(address);
    const after = ['after-0', 'after-1'];
    await produce('durable', after);
    expect(await consumeAll('durable', before.length + after.length)).toEqual([...before, ...after].sort());
  }, 120_000);
});
