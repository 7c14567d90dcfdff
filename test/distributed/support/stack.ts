// The whole distributed topology for a test file: a Kafka broker with the spans topic, the
// collector, the ClickHouse harness and `flowtrace process` instances in one group.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { KAFKA_TOPICS } from '../../../core/defaults.ts';
import { createKafkaClient } from '../../../ingest/kafka/index.ts';
import { startCollector, type RunningCollector } from '../../support/collector.ts';
import { startKafkaBroker, type KafkaBroker } from '../../support/kafka-broker.ts';
import { startClickHouseHarness, type ClickHouseHarness } from './clickhouse-harness.ts';
import { writePriceOverrides } from './genai-workload.ts';
import { ProcessorInstance, waitForBalancedGroup } from './processors.ts';

export const SPANS_TOPIC = KAFKA_TOPICS.SPANS;
export const PARTITIONS = 3;

export interface DistributedStack {
  broker: KafkaBroker;
  collector: RunningCollector;
  clickhouse: ClickHouseHarness;
  /** A client of the test's own (quiet). */
  kafka: Kafka;
  admin: Admin;
  groupId: string;
  processors: ProcessorInstance[];
  startProcessor(name: string): Promise<ProcessorInstance>;
  /** Sum of flowtrace_processor_<name> over the running instances. */
  metricSum(name: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Creates a topic, retrying while the broker still settles (just after start-up its metadata
 * can briefly answer UNKNOWN_TOPIC_OR_PARTITION while waiting for the leaders).
 */
export async function createTopic(broker: KafkaBroker, name: string, partitions: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await broker.createTopic(name, partitions);
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** Starts everything, with `processorCount` processors that have split the partitions between them. */
export async function startDistributedStack(processorCount: number): Promise<DistributedStack> {
  const workDir = mkdtempSync(join(tmpdir(), 'flowtrace-distributed-'));
  const priceOverrideFile = join(workDir, 'prices.json');
  writePriceOverrides(priceOverrideFile);
  const [broker, clickhouse] = await Promise.all([startKafkaBroker(), startClickHouseHarness()]);
  await createTopic(broker, SPANS_TOPIC, PARTITIONS);
  const kafka = createKafkaClient({ brokers: [broker.bootstrap], clientId: 'distributed-test', log: () => {} });
  const admin = kafka.admin();
  await admin.connect();
  const collector = await startCollector({ kafkaBrokers: broker.bootstrap });
  const groupId = `flowtrace-processor-${randomUUID()}`;
  const processors: ProcessorInstance[] = [];

  const startProcessor = async (name: string) => {
    const instance = await ProcessorInstance.start(name, { brokers: broker.bootstrap, clickhouseUrl: clickhouse.url, groupId, priceOverrideFile });
    processors.push(instance);
    return instance;
  };
  await Promise.all(Array.from({ length: processorCount }, (_, i) => startProcessor(`processor-${String.fromCharCode(97 + i)}`)));
  await waitForBalancedGroup(processors, PARTITIONS, 60_000);

  return {
    broker,
    collector,
    clickhouse,
    kafka,
    admin,
    groupId,
    processors,
    startProcessor,
    async metricSum(name) {
      const values = await Promise.all(processors.filter((p) => p.running).map((p) => p.metric(`flowtrace_processor_${name}`)));
      return values.reduce((a, b) => a + b, 0);
    },
    async stop() {
      await Promise.allSettled(processors.map((p) => p.stop()));
      await collector.stop();
      await admin.disconnect();
      await Promise.allSettled([broker.destroy(), clickhouse.stop()]);
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
