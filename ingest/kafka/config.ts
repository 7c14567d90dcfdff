// KafkaSpanSource settings, validated once at construction so a bad value fails at start
// with the setting's name. Defaults suit the collector's otel-collector-config.yaml.
import { z } from 'zod';
import { ConfigError } from '../../core/config.ts';
import { KAFKA_MAX_MESSAGE_BYTES, KAFKA_TOPICS, PROCESSOR_GROUP_ID } from '../../core/defaults.ts';
import { DEFAULT_SPAN_LIMITS } from '../otlp/index.ts';

const positiveInt = z.number().int().positive();

const ConfigSchema = z
  .object({
    topic: z.string().min(1).default(KAFKA_TOPICS.SPANS),
    groupId: z.string().min(1).default(PROCESSOR_GROUP_ID),
    deadLetterTopic: z.string().min(1).default(KAFKA_TOPICS.DEAD_LETTER),
    /** Tenant of every span read (the collector carries no API key). */
    projectId: z.string().min(1).default('default'),
    maxAttributesPerSpan: positiveInt.default(DEFAULT_SPAN_LIMITS.maxAttributesPerSpan),
    maxAttributeValueBytes: positiveInt.default(DEFAULT_SPAN_LIMITS.maxAttributeValueBytes),
    /** Records with a larger value go to the dead-letter topic instead of being decoded. */
    maxRecordBytes: positiveInt.default(KAFKA_MAX_MESSAGE_BYTES),
    /** Spans per write (whole records; one record larger than this goes alone). */
    maxBatchSpans: positiveInt.default(20_000),
    /** Writes of one partition in flight at once (later ones wait; they commit in order). */
    maxInFlightChunks: positiveInt.default(2),
    /**
     * Partitions processed at once by this member. kafkajs fetches again only once every
     * partition of a fetch is done, so fewer slots than partitions would make a fetch take
     * several rounds of writes; the data is in memory already, a slot costs nothing.
     */
    concurrency: positiveInt.default(16),
    /** Bytes fetched per partition and request; at least one record always comes back. */
    fetchMaxBytesPerPartition: positiveInt.default(KAFKA_MAX_MESSAGE_BYTES),
    /** Bytes fetched per request, all partitions together. */
    fetchMaxBytes: positiveInt.default(3 * KAFKA_MAX_MESSAGE_BYTES),
    /**
     * A fetch returns once this much is there, or after fetchMaxWaitMs. One byte: records come
     * in bursts already (the collector batches), and waiting for more only adds latency.
     */
    fetchMinBytes: positiveInt.default(1),
    /** How long the broker may hold a fetch when there is nothing new. */
    fetchMaxWaitMs: positiveInt.default(500),
    /** Without a heartbeat for this long the member is dropped and its partitions reassigned. */
    sessionTimeoutMs: positiveInt.default(30_000),
    heartbeatIntervalMs: positiveInt.default(3_000),
    rebalanceTimeoutMs: positiveInt.default(60_000),
    /** Backoff of failed writes: doubling from the first delay up to the cap, retried until they succeed. */
    retryInitialMs: positiveInt.default(200),
    retryMaxMs: positiveInt.default(5_000),
    /** Where a group without committed offsets starts: the oldest record (nothing already in the topic is skipped). */
    fromBeginning: z.boolean().default(true),
  })
  .strict()
  .refine((c) => c.heartbeatIntervalMs < c.sessionTimeoutMs, { message: 'heartbeatIntervalMs must be below sessionTimeoutMs', path: ['heartbeatIntervalMs'] });

export type KafkaSpanSourceConfig = z.input<typeof ConfigSchema>;
export type ResolvedKafkaSpanSourceConfig = z.output<typeof ConfigSchema>;

export function resolveSourceConfig(config: KafkaSpanSourceConfig): ResolvedKafkaSpanSourceConfig {
  const result = ConfigSchema.safeParse(config);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
  throw new ConfigError(`invalid Kafka source config: ${problems.join('; ')}`);
}
