// Writes OTLP trace requests to Kafka exactly as the collector's Kafka exporter does with
// FlowTrace's otel-collector-config.yaml: topic `otlp_spans`, encoding otlp_proto, one
// ExportTraceServiceRequest per trace id keyed by the hex trace id, partitioned like the
// collector, acknowledged by all in-sync replicas. For users who run no collector.
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import { z } from 'zod';
import { KAFKA_MAX_MESSAGE_BYTES, KAFKA_TOPICS } from '../../core/defaults.ts';
import { StorageUnavailableError } from '../../core/errors.ts';
import { OtlpDecodeError } from '../../ingest/otlp/index.ts';
import { collectorCompatiblePartitioner } from './partitioner.ts';
import { splitByTraceId } from './split-by-trace.ts';

const ConfigSchema = z
  .object({
    topic: z.string().min(1).default(KAFKA_TOPICS.SPANS),
    /** Largest record (the broker's message.max.bytes); larger traces are cut into several records. */
    maxRecordBytes: z.number().int().min(1024).default(KAFKA_MAX_MESSAGE_BYTES),
    /** How long the brokers may take to acknowledge a request's records. */
    ackTimeoutMs: z.number().int().positive().default(5_000),
    /**
     * How long export() waits in all, reconnecting included, before answering "unavailable".
     * A send still running then may yet succeed: the client's retry then delivers the spans
     * twice, which the processors' deduplication makes invisible.
     */
    deliveryTimeoutMs: z.number().int().positive().default(10_000),
    /** Retry-After sent to OTLP clients while Kafka does not acknowledge. */
    retryAfterSeconds: z.number().int().positive().default(5),
  })
  .strict();

export type KafkaOtlpExporterConfig = z.input<typeof ConfigSchema>;

export class KafkaOtlpExporter {
  private readonly config: z.output<typeof ConfigSchema>;
  private readonly producer: Producer;

  constructor(kafka: Kafka, config: KafkaOtlpExporterConfig = {}) {
    this.config = ConfigSchema.parse(config);
    this.producer = kafka.producer({
      createPartitioner: collectorCompatiblePartitioner,
      allowAutoTopicCreation: true,
      // Fail fast: the OTLP client retries on 503, holding a request for long helps no one.
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    });
  }

  /** Connects to the cluster; rejects when no broker answers. */
  async start(): Promise<void> {
    await this.producer.connect();
  }

  /**
   * Produces the request, one record per trace, and resolves once Kafka acknowledged all of
   * them (acks = all). Rejects with StorageUnavailableError (OTLP 503) when it did not, and
   * with OtlpDecodeError (400) for a span too large for any record.
   */
  async export(request: Uint8Array): Promise<number> {
    let traces;
    try {
      traces = splitByTraceId(request, this.config.maxRecordBytes);
    } catch (err) {
      throw new OtlpDecodeError('', `cannot split the request into Kafka records: ${(err as Error).message}`);
    }
    if (traces.length === 0) return 0;
    const sent = this.producer.send({
      topic: this.config.topic,
      acks: -1,
      timeout: this.config.ackTimeoutMs,
      compression: CompressionTypes.None,
      messages: traces.map((t) => ({ key: t.traceId, value: t.value })),
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement within ${this.config.deliveryTimeoutMs} ms`)), this.config.deliveryTimeoutMs);
    });
    try {
      await Promise.race([sent, deadline]);
    } catch (err) {
      sent.catch(() => {}); // settled later or never; nobody is waiting any more
      throw new StorageUnavailableError(`Kafka did not acknowledge the spans: ${(err as Error).message}`, this.config.retryAfterSeconds);
    } finally {
      clearTimeout(timer);
    }
    return traces.length;
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}
