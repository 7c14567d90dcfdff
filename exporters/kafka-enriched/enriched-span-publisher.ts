// Publishes stored spans to `flowtrace.enriched` for the live tail: one JSON record per run
// and batch (split past maxSpansPerRecord), keyed by run id so all of a run's records land on
// one partition, in the order they were stored.
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { z } from 'zod';
import { KAFKA_TOPICS } from '../../core/defaults.ts';
import type { EnrichedSpan } from '../../core/span.ts';
import { ENRICHED_SCHEMA, summarize, type EnrichedRunRecord, type EnrichedSpanSummary } from './summary.ts';

const ConfigSchema = z
  .object({
    topic: z.string().min(1).default(KAFKA_TOPICS.ENRICHED),
    /** Summaries per record; about 0.6 KB each, so the default stays far below Kafka's record limit. */
    maxSpansPerRecord: z.number().int().positive().default(500),
  })
  .strict();

export type EnrichedSpanPublisherConfig = z.input<typeof ConfigSchema>;

export class EnrichedSpanPublisher {
  private readonly config: z.output<typeof ConfigSchema>;
  private readonly producer: Producer;

  constructor(kafka: Kafka, config: EnrichedSpanPublisherConfig = {}) {
    this.config = ConfigSchema.parse(config);
    // Few retries: a failed publish is counted and skipped (ClickHouse has the spans).
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 } });
  }

  get topic(): string {
    return this.config.topic;
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  /** Resolves once Kafka acknowledged every record (acks = all). */
  async publish(spans: readonly EnrichedSpan[]): Promise<void> {
    if (spans.length === 0) return;
    // gzip: JSON shrinks about tenfold, and zlib runs off the event loop, where kafkajs would
    // otherwise spend more time checksumming and copying the plain records than the processors
    // spend on the spans. Every Kafka client reads gzip.
    await this.producer.send({ topic: this.config.topic, acks: -1, compression: CompressionTypes.GZIP, messages: this.records(spans) });
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }

  private records(spans: readonly EnrichedSpan[]): Message[] {
    const byRun = new Map<string, { projectId: string; runId: string; spans: EnrichedSpanSummary[] }>();
    for (const span of spans) {
      const key = `${span.projectId}\0${span.run.runId}`;
      let run = byRun.get(key);
      if (!run) byRun.set(key, (run = { projectId: span.projectId, runId: span.run.runId, spans: [] }));
      run.spans.push(summarize(span));
    }
    const messages: Message[] = [];
    const limit = this.config.maxSpansPerRecord;
    for (const run of byRun.values()) {
      for (let i = 0; i < run.spans.length; i += limit) {
        const record: EnrichedRunRecord = { schema: ENRICHED_SCHEMA, projectId: run.projectId, runId: run.runId, spans: run.spans.slice(i, i + limit) };
        messages.push({ key: run.runId, value: JSON.stringify(record) });
      }
    }
    return messages;
  }
}
