// `flowtrace process`: the processors as a member of a Kafka consumer group — spans topic in,
// ClickHouse and the enriched topic out (pipeline/distributed). Run several for more throughput.
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import { DEFAULT_PORTS, FLOWTRACE_ENV, KAFKA_MAX_MESSAGE_BYTES, KAFKA_TOPICS, PROCESSOR_GROUP_ID } from '../../core/defaults.ts';
import { createKafkaClient } from '../../ingest/kafka/index.ts';
import { DistributedProcessor } from '../../pipeline/distributed/index.ts';
import { openStore } from '../../storage/index.ts';
import { untilSignal } from '../lifecycle.ts';
import { brokersSetting, integerSetting, setting } from './kafka-settings.ts';

interface ProcessFlags {
  brokers?: string;
  topic?: string;
  group?: string;
  enrichedTopic?: string;
  deadLetterTopic?: string;
  clickhouseUrl?: string;
  dataDir?: string;
  metrics: boolean;
  metricsHost?: string;
  metricsPort?: string;
  concurrency?: string;
  maxBatchSpans?: string;
  maxRecordBytes?: string;
  insertLanes?: string;
  sessionTimeout?: string;
  lagLogInterval?: string;
  priceOverrides?: string;
}

async function runProcessor(flags: ProcessFlags): Promise<void> {
  const config = loadConfig({
    overrides: {
      clickhouse: flags.clickhouseUrl ? { url: flags.clickhouseUrl } : undefined,
      pricing: flags.priceOverrides ? { overrideFile: flags.priceOverrides } : undefined,
    },
  });
  const brokers = brokersSetting(flags.brokers);
  const sessionTimeoutMs = integerSetting(flags.sessionTimeout, undefined, 30_000, '--session-timeout', 6_000, 300_000);
  const processorConfig = {
    source: {
      topic: setting(flags.topic, FLOWTRACE_ENV.KAFKA_SPANS_TOPIC, KAFKA_TOPICS.SPANS).value,
      groupId: setting(flags.group, FLOWTRACE_ENV.KAFKA_GROUP_ID, PROCESSOR_GROUP_ID).value,
      deadLetterTopic: setting(flags.deadLetterTopic, FLOWTRACE_ENV.KAFKA_DEAD_LETTER_TOPIC, KAFKA_TOPICS.DEAD_LETTER).value,
      projectId: config.projectId,
      maxAttributesPerSpan: config.otlpHttp.maxAttributesPerSpan,
      maxAttributeValueBytes: config.otlpHttp.maxAttributeValueBytes,
      maxRecordBytes: integerSetting(flags.maxRecordBytes, undefined, KAFKA_MAX_MESSAGE_BYTES, '--max-record-bytes', 1),
      maxBatchSpans: integerSetting(flags.maxBatchSpans, undefined, 20_000, '--max-batch-spans', 1),
      concurrency: integerSetting(flags.concurrency, undefined, 16, '--concurrency', 1, 256),
      sessionTimeoutMs,
      heartbeatIntervalMs: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
    },
    enriched: { topic: setting(flags.enrichedTopic, FLOWTRACE_ENV.KAFKA_ENRICHED_TOPIC, KAFKA_TOPICS.ENRICHED).value },
    insertLanes: integerSetting(flags.insertLanes, undefined, 2, '--insert-lanes', 1, 64),
    chain: config.pricing.overrideFile ? { priceOverrideFile: config.pricing.overrideFile } : {},
    metrics: flags.metrics
      ? {
          host: setting(flags.metricsHost, FLOWTRACE_ENV.METRICS_HOST, '127.0.0.1').value,
          port: integerSetting(flags.metricsPort, FLOWTRACE_ENV.METRICS_PORT, DEFAULT_PORTS.PROCESSOR_METRICS, '--metrics-port', 0, 65535),
        }
      : (false as const),
    lagLogIntervalMs: integerSetting(flags.lagLogInterval, undefined, 10, '--lag-log-interval', 0) * 1000,
  };

  const store = openStore({
    clickhouse: config.clickhouse.url ? config.clickhouse : undefined,
    dataDir: flags.dataDir ?? (process.env.FLOWTRACE_DATA_DIR || join(config.home, 'data')),
    retentionDays: config.retentionDays,
  });
  let processor: DistributedProcessor | undefined;
  try {
    await store.migrate();
    processor = new DistributedProcessor({ kafka: createKafkaClient({ brokers, clientId: 'flowtrace-processor' }), store }, processorConfig);
    await processor.start();
  } catch (err) {
    await processor?.stop().catch(() => {});
    await store.close();
    throw err;
  }
  process.stdout.write(`process: storing into ${config.clickhouse.url ?? 'the embedded engine'}; Kafka ${brokers.join(',')}\n`);

  await untilSignal(
    async () => {
      await processor!.stop();
      await store.close();
    },
    {
      stopping: (signal) => `process: ${signal}: finishing the batches in flight`,
      forced: (signal) => `process: ${signal} again, exiting without waiting`,
    },
  );
  process.exit();
}

export function register(program: Command): void {
  program
    .command('process')
    .description('Consume OTLP spans from Kafka as a consumer-group member, run the processors, store them in ClickHouse and publish them for the live tail')
    .option('--brokers <list>', `Kafka bootstrap servers host:port[,…] (env ${FLOWTRACE_ENV.KAFKA_BROKERS}, default 127.0.0.1:${DEFAULT_PORTS.KAFKA})`)
    .option('--topic <name>', `spans topic (env ${FLOWTRACE_ENV.KAFKA_SPANS_TOPIC}, default ${KAFKA_TOPICS.SPANS})`)
    .option('--group <id>', `consumer group; every instance of one deployment uses the same (env ${FLOWTRACE_ENV.KAFKA_GROUP_ID}, default ${PROCESSOR_GROUP_ID})`)
    .option('--enriched-topic <name>', `topic of span summaries for the live tail (env ${FLOWTRACE_ENV.KAFKA_ENRICHED_TOPIC}, default ${KAFKA_TOPICS.ENRICHED})`)
    .option('--dead-letter-topic <name>', `topic for records that cannot be decoded (env ${FLOWTRACE_ENV.KAFKA_DEAD_LETTER_TOPIC}, default ${KAFKA_TOPICS.DEAD_LETTER})`)
    .option('--clickhouse-url <url>', 'ClickHouse server HTTP URL (env FLOWTRACE_CLICKHOUSE_URL; default: the embedded engine)')
    .option('--data-dir <dir>', 'embedded engine data directory when no ClickHouse URL is set (env FLOWTRACE_DATA_DIR, default .flowtrace/data)')
    .option('--metrics-host <host>', `interface of GET /metrics (env ${FLOWTRACE_ENV.METRICS_HOST}, default 127.0.0.1)`)
    .option('--metrics-port <port>', `port of GET /metrics (env ${FLOWTRACE_ENV.METRICS_PORT}, default ${DEFAULT_PORTS.PROCESSOR_METRICS}; 0 = any free port)`)
    .option('--no-metrics', 'serve no metrics endpoint')
    .option('--concurrency <n>', 'partitions processed at once (default 16)')
    .option('--max-batch-spans <n>', 'spans per ClickHouse insert (default 20000)')
    .option('--max-record-bytes <n>', `records larger than this go to the dead-letter topic (default ${KAFKA_MAX_MESSAGE_BYTES})`)
    .option('--insert-lanes <n>', 'ClickHouse inserts running at once; partitions ready together share one (default 2)')
    .option('--session-timeout <ms>', 'Kafka group session timeout: how soon a crashed instance’s partitions move (default 30000)')
    .option('--lag-log-interval <seconds>', 'seconds between consumer-lag log lines; 0 = none (default 10)')
    .option('--price-overrides <file>', 'JSON file of model prices that override the bundled ones (env FLOWTRACE_PRICE_OVERRIDES)')
    .action((flags: ProcessFlags) => runProcessor(flags));
}
