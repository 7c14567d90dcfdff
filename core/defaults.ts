// Names and limits the distributed path (collector → Kafka → processor → tail) agrees on.
// otel-collector-config.yaml and docker-compose.yml repeat some of them; test/compose.test.ts
// checks that they still agree with this module.

/** Kafka topics. `otlp_spans` is the collector Kafka exporter's default traces topic. */
export const KAFKA_TOPICS = {
  /** One OTLP ExportTraceServiceRequest (protobuf) per record, one trace per record, key = hex trace id. */
  SPANS: 'otlp_spans',
  /** Spans after normalisation, cost and taxonomy, for the tail service. */
  ENRICHED: 'flowtrace.enriched',
  /** Records the processor could not decode, kept with the reason instead of being dropped. */
  DEAD_LETTER: 'flowtrace.dlq',
} as const;

/** Encoding the collector's Kafka exporter writes to KAFKA_TOPICS.SPANS. */
export const SPANS_ENCODING = 'otlp_proto';

/** Consumer group shared by all processor instances (scaling out = more members). */
export const PROCESSOR_GROUP_ID = 'flowtrace-processor';

/**
 * Largest Kafka record, in bytes, on both sides: the broker's `message.max.bytes` and the
 * collector's `producer.max_message_bytes`. A record is one trace of one collector batch, so
 * the collector's `send_batch_max_size` keeps records below it for spans of up to 4 KiB.
 */
export const KAFKA_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Environment variables of the distributed path (the rest are in core/config.ts). */
export const FLOWTRACE_ENV = {
  /** Comma-separated bootstrap servers, e.g. `kafka:9092`. */
  KAFKA_BROKERS: 'FLOWTRACE_KAFKA_BROKERS',
  KAFKA_SPANS_TOPIC: 'FLOWTRACE_KAFKA_SPANS_TOPIC',
  KAFKA_ENRICHED_TOPIC: 'FLOWTRACE_KAFKA_ENRICHED_TOPIC',
  KAFKA_DEAD_LETTER_TOPIC: 'FLOWTRACE_KAFKA_DEAD_LETTER_TOPIC',
  KAFKA_GROUP_ID: 'FLOWTRACE_KAFKA_GROUP_ID',
  /** `flowtrace process`'s Prometheus endpoint (GET /metrics). */
  METRICS_HOST: 'FLOWTRACE_METRICS_HOST',
  METRICS_PORT: 'FLOWTRACE_METRICS_PORT',
} as const;

/** Environment variables otel-collector-config.yaml reads (its defaults bind to loopback). */
export const COLLECTOR_ENV = {
  OTLP_GRPC_ENDPOINT: 'OTLP_GRPC_ENDPOINT',
  OTLP_HTTP_ENDPOINT: 'OTLP_HTTP_ENDPOINT',
  HEALTH_CHECK_ENDPOINT: 'HEALTH_CHECK_ENDPOINT',
  /** Comma-separated bootstrap servers, like FLOWTRACE_KAFKA_BROKERS. */
  KAFKA_BROKERS: 'KAFKA_BROKERS',
  MEMORY_LIMIT_MIB: 'COLLECTOR_MEMORY_LIMIT_MIB',
  MEMORY_SPIKE_MIB: 'COLLECTOR_MEMORY_SPIKE_MIB',
  LOG_LEVEL: 'COLLECTOR_LOG_LEVEL',
  METRICS_HOST: 'COLLECTOR_METRICS_HOST',
  METRICS_PORT: 'COLLECTOR_METRICS_PORT',
} as const;

/** Well-known ports (DESIGN.md §7). */
export const DEFAULT_PORTS = {
  OTLP_GRPC: 4317,
  OTLP_HTTP: 4318,
  API: 8787,
  CLICKHOUSE_HTTP: 8123,
  KAFKA: 9092,
  COLLECTOR_HEALTH: 13133,
  /** `flowtrace process` metrics (the conventional Prometheus exporter port). */
  PROCESSOR_METRICS: 9464,
} as const;
