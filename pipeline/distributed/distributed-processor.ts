// `flowtrace process`: the processors as a Kafka consumer-group member (DESIGN.md §1). Records
// from the spans topic run through the same processor chain as `flowtrace up` and are inserted
// into the store; the source commits a range only once its insert resolved (ingest/kafka).
// Ranges of several partitions that are ready together share one insert (group commit, as in
// the embedded pipeline): an insert costs the engine about as much for ten spans as for a
// thousand. Partitions are spread over a few insert lanes that run concurrently, as a single
// insert stream leaves the engine's cores idle. The insert's deduplication token is derived
// from the ranges' `topic:partition:first-last` names, so retrying the same group is a no-op;
// a redelivery grouped differently is made invisible by the (TraceId, SpanId)
// ReplacingMergeTree backstop the views read with FINAL. Stored spans are then published to
// the enriched topic for the live tail.
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import type { EnrichedSpan } from '../../core/span.ts';
import { EnrichedSpanPublisher, type EnrichedSpanPublisherConfig } from '../../exporters/kafka-enriched/index.ts';
import { KafkaSpanSource, type KafkaSpanSourceConfig, type RetriedStep, type SourceBatch, type SourceObserver } from '../../ingest/kafka/index.ts';
import { createProcessorChain, type ProcessorChain, type ProcessorChainConfig } from '../../processors/chain.ts';
import type { SpanStore } from '../../storage/store.ts';
import { GroupCommitWriter } from '../group-commit/group-commit-writer.ts';
import { MeteredStore } from './metered-store.ts';
import { MetricsServer } from './metrics-server.ts';
import { ProcessorMetrics } from './processor-metrics.ts';

const ConfigSchema = z
  .object({
    source: z.custom<KafkaSpanSourceConfig>((v) => typeof v === 'object' && v !== null, 'expected the Kafka source settings'),
    enriched: z.custom<EnrichedSpanPublisherConfig>((v) => typeof v === 'object' && v !== null).default({}),
    chain: z.custom<ProcessorChainConfig>((v) => typeof v === 'object' && v !== null).default({}),
    /** Where GET /metrics is served; false for none. */
    metrics: z.union([z.literal(false), z.object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) }).strict()]).default({}),
    /** Spans per insert when ranges of several partitions are grouped (one larger range goes alone). */
    insertMaxSpans: z.number().int().positive().default(50_000),
    /** How long a range waits for ranges of other partitions before an idle lane inserts it. */
    insertDelayMs: z.number().int().min(0).default(10),
    /** Inserts running at once; partition p writes through lane p mod insertLanes. */
    insertLanes: z.number().int().positive().default(2),
    /** Interval of the lag log line; 0 for none. */
    lagLogIntervalMs: z.number().int().min(0).default(10_000),
  })
  .strict();

export type DistributedProcessorConfig = z.input<typeof ConfigSchema>;

export interface DistributedProcessorDeps {
  kafka: Kafka;
  /** Migrated and owned by the caller (closed by it after stop()). */
  store: SpanStore;
  /** One line per event; default stdout. */
  log?: (line: string) => void;
}

const STEP_NAMES: Record<RetriedStep, string> = { write: 'insert', 'dead-letter': 'dead-letter produce', commit: 'offset commit' };

export class DistributedProcessor {
  readonly metrics: ProcessorMetrics;
  private readonly config: z.output<typeof ConfigSchema>;
  private readonly source: KafkaSpanSource;
  private readonly publisher: EnrichedSpanPublisher;
  private readonly chain: ProcessorChain;
  private readonly lanes: GroupCommitWriter[];
  private readonly log: (line: string) => void;
  private metricsServer: MetricsServer | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> = Promise.resolve();

  constructor(deps: DistributedProcessorDeps, config: DistributedProcessorConfig) {
    this.config = ConfigSchema.parse(config);
    this.log = deps.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.chain = createProcessorChain(this.config.chain);
    this.publisher = new EnrichedSpanPublisher(deps.kafka, this.config.enriched);
    this.source = new KafkaSpanSource(deps.kafka, this.config.source, (batch) => this.write(batch), this.observer());
    this.metrics = new ProcessorMetrics(this.source.config.topic, () => this.source.lag());
    const { insertMaxSpans, insertDelayMs, insertLanes } = this.config;
    const store = new MeteredStore(deps.store, this.metrics);
    // The source has at most `maxInFlightChunks` ranges of each of `concurrency` partitions in
    // flight, so a lane never needs to refuse one.
    const { concurrency, maxInFlightChunks, maxBatchSpans } = this.source.config;
    const laneConfig = { maxBatchSpans: insertMaxSpans, maxBatchDelayMs: insertDelayMs, maxQueuedSpans: concurrency * maxInFlightChunks * maxBatchSpans + insertMaxSpans };
    this.lanes = Array.from({ length: insertLanes }, () => new GroupCommitWriter(store, laneConfig, (spans) => this.publish(spans)));
  }

  /** Starts the metrics endpoint, connects and joins the group. Resolves with the metrics URL. */
  async start(): Promise<{ metricsUrl: string | undefined }> {
    let metricsUrl: string | undefined;
    if (this.config.metrics) {
      this.metricsServer = new MetricsServer(this.metrics.registry, this.config.metrics.host, this.config.metrics.port);
      metricsUrl = await this.metricsServer.start();
    }
    await this.publisher.start();
    await this.source.start();
    const { topic, groupId } = this.source.config;
    this.log(`process: consuming ${topic} as group ${groupId}${metricsUrl ? `; metrics at ${metricsUrl}` : ''}`);
    if (this.config.lagLogIntervalMs > 0) this.lagTimer = setInterval(() => void this.logProgress(), this.config.lagLogIntervalMs);
    return { metricsUrl };
  }

  /** Finishes the batches in flight, commits them, leaves the group and stops serving metrics. */
  async stop(): Promise<void> {
    clearInterval(this.lagTimer);
    await this.source.stop();
    await Promise.all(this.lanes.map((lane) => lane.close()));
    await this.publishing;
    await this.publisher.stop().catch(() => {});
    await this.metricsServer?.stop();
  }

  /** Stores a range's spans; resolves once they are durable (the source retries until it does). */
  private async write(batch: SourceBatch): Promise<void> {
    if (batch.spans.length === 0) return;
    const lane = this.lanes[batch.partition % this.lanes.length]!;
    await lane.write(this.chain.process(batch.spans), batch.dedupToken);
  }

  /**
   * Tells the live tail about stored spans, in commit order. The tail is a live view and
   * ClickHouse already has the spans, so this never holds a partition back: a failure is
   * counted and logged.
   */
  private publish(spans: EnrichedSpan[]): void {
    this.publishing = this.publishing.then(() =>
      this.publisher.publish(spans).catch((err: Error) => {
        this.metrics.enrichedFailures.inc();
        this.log(`process: spans stored but not published to ${this.publisher.topic}: ${err.message}`);
      }),
    );
  }

  private observer(): SourceObserver {
    return {
      committed: (batch) => {
        this.metrics.records.inc(batch.records);
        this.metrics.spans.inc(batch.spans.length);
      },
      deadLettered: (letter) => {
        this.metrics.deadLetters.inc({ reason: letter.reason });
        this.log(`process: record ${letter.topic}/${letter.partition}@${letter.message.offset} sent to ${this.source.config.deadLetterTopic} (${letter.reason}): ${letter.error}`);
      },
      rejected: (spans, problems) => {
        this.metrics.rejectedSpans.inc(spans);
        this.log(`process: ${spans} span(s) rejected: ${problems[0] ?? 'see the decoder messages'}`);
      },
      retrying: (step, error, attempt, delayMs) => {
        this.log(`process: ${STEP_NAMES[step]} failed (attempt ${attempt}), retrying in ${delayMs} ms: ${error.message}`);
      },
      assigned: (partitions) => this.log(`process: partitions assigned: ${partitions.length > 0 ? partitions.join(', ') : 'none'}`),
      crashed: (error) => {
        this.metrics.restarts.inc();
        this.log(`process: Kafka consumer failed, restarting: ${error.message}`);
      },
    };
  }

  private async logProgress(): Promise<void> {
    const partitions = await this.source.lag().catch((err: Error) => err);
    if (partitions instanceof Error) return this.log(`process: lag unknown (${partitions.message})`);
    const total = partitions.reduce((sum, p) => sum + p.lag, 0n);
    const detail = partitions.map((p) => `p${p.partition} ${p.lag}`).join(', ');
    const spans = (await this.metrics.spans.get()).values[0]?.value ?? 0;
    this.log(`process: lag ${total} record(s)${detail ? ` (${detail})` : ''}; ${spans} span(s) processed so far`);
  }
}
