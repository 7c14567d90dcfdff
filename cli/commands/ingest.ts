// `flowtrace ingest --kafka`: an OTLP/HTTP receiver that writes to the spans topic in the
// collector's exact format, for users without a collector. A 200 means Kafka acknowledged.
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import { DEFAULT_PORTS, FLOWTRACE_ENV, KAFKA_MAX_MESSAGE_BYTES, KAFKA_TOPICS } from '../../core/defaults.ts';
import { KafkaOtlpExporter } from '../../exporters/kafka-otlp/index.ts';
import { createKafkaClient } from '../../ingest/kafka/index.ts';
import { OtlpHttpReceiver, TRACES_PATH } from '../../ingest/otlp-http/index.ts';
import { untilSignal } from '../lifecycle.ts';
import { brokersSetting, integerSetting, setting } from './kafka-settings.ts';

interface IngestFlags {
  kafka?: boolean;
  brokers?: string;
  topic?: string;
  host?: string;
  port?: string;
  maxRecordBytes?: string;
  deliveryTimeout?: string;
}

async function runIngest(flags: IngestFlags): Promise<void> {
  if (!flags.kafka) throw new Error('ingest needs --kafka (write to Kafka for `flowtrace process`); for the all-in-one pipeline run `flowtrace up`');
  const config = loadConfig({
    overrides: { otlpHttp: { host: flags.host, port: flags.port === undefined ? undefined : integerSetting(flags.port, undefined, 0, '--port', 0, 65535) } },
  });
  const brokers = brokersSetting(flags.brokers);
  const topic = setting(flags.topic, FLOWTRACE_ENV.KAFKA_SPANS_TOPIC, KAFKA_TOPICS.SPANS).value;
  // Few, short retries: an OTLP client waiting on a request is better served by a quick 503.
  const kafka = createKafkaClient({ brokers, clientId: 'flowtrace-ingest', retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 } });
  const exporter = new KafkaOtlpExporter(kafka, {
    topic,
    maxRecordBytes: integerSetting(flags.maxRecordBytes, undefined, KAFKA_MAX_MESSAGE_BYTES, '--max-record-bytes', 1024),
    deliveryTimeoutMs: integerSetting(flags.deliveryTimeout, undefined, 10_000, '--delivery-timeout', 100, 600_000),
  });
  try {
    await exporter.start();
  } catch (err) {
    throw new Error(`cannot reach Kafka at ${brokers.join(',')}: ${(err as Error).message}`);
  }
  const receiver = new OtlpHttpReceiver({ ...config.otlpHttp, projectId: () => config.projectId }, async (batch) => {
    await exporter.export(batch.protobuf);
  });
  const address = await receiver.start();
  process.stdout.write(`ingest: OTLP/HTTP on http://${address.host}:${address.port}${TRACES_PATH} → Kafka ${brokers.join(',')} topic ${topic}\n`);

  await untilSignal(async () => {
    await receiver.stop();
    await exporter.stop();
  });
  // The Kafka client's timers would otherwise hold the process open.
  process.exit();
}

export function register(program: Command): void {
  program
    .command('ingest')
    .description('Receive OTLP/HTTP traces and write them to Kafka in the OpenTelemetry Collector’s format (for `flowtrace process`)')
    .option('--kafka', 'write to Kafka (required)')
    .option('--brokers <list>', `Kafka bootstrap servers host:port[,…] (env ${FLOWTRACE_ENV.KAFKA_BROKERS}, default 127.0.0.1:${DEFAULT_PORTS.KAFKA})`)
    .option('--topic <name>', `spans topic (env ${FLOWTRACE_ENV.KAFKA_SPANS_TOPIC}, default ${KAFKA_TOPICS.SPANS})`)
    .option('--host <host>', 'OTLP/HTTP interface (env FLOWTRACE_OTLP_HTTP_HOST, default 127.0.0.1)')
    .option('--port <port>', `OTLP/HTTP port (env FLOWTRACE_OTLP_HTTP_PORT, default ${DEFAULT_PORTS.OTLP_HTTP}; 0 = any free port)`)
    .option('--max-record-bytes <n>', `largest Kafka record; bigger traces are cut into several (default ${KAFKA_MAX_MESSAGE_BYTES})`)
    .option('--delivery-timeout <ms>', 'how long a request waits for Kafka’s acknowledgement before the answer is 503 (default 10000)')
    .action((flags: IngestFlags) => runIngest(flags));
}
