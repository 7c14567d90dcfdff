// The processor's Kafka source: a consumer-group member on the spans topic that decodes each
// record (one OTLP ExportTraceServiceRequest), hands the spans of a contiguous offset range to
// a writer, and commits the range only once the writer resolved (and every earlier range of
// the partition was committed) — so a crash, a rebalance or a shutdown can cause a redelivery
// (made invisible by the writer's deduplication) but never an offset committed ahead of its
// data. Writes run while the next records are fetched and decoded (partition-pipeline.ts).
// Failed writes are retried with backoff, never skipped; undecodable and oversized records go
// to the dead-letter topic so the partition keeps flowing.
import { Partitioners, type Admin, type Consumer, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import { deadLetterRecord, type DeadLetter } from './dead-letter.ts';
import { resolveSourceConfig, type KafkaSpanSourceConfig, type ResolvedKafkaSpanSourceConfig } from './config.ts';
import { PartitionPipeline } from './partition-pipeline.ts';
import { decodeChunks, type ChunkLimits, type DecodedChunk, type SourceBatch } from './record-chunks.ts';

/** Stores a batch; resolves only once it is durable. Must be idempotent per `batch.dedupToken`. */
export type BatchWriter = (batch: SourceBatch) => Promise<void>;

export type RetriedStep = 'write' | 'dead-letter' | 'commit';

/** What the source reports, for logs and metrics. All optional. */
export interface SourceObserver {
  /** A range was written, its dead letters produced and its offsets committed. */
  committed?(batch: SourceBatch, deadLetters: number): void;
  deadLettered?(letter: DeadLetter): void;
  /** Spans dropped inside decodable records (invalid ids …), with the decoder's reasons. */
  rejected?(spans: number, problems: string[]): void;
  retrying?(step: RetriedStep, error: Error, attempt: number, delayMs: number): void;
  /** This member's partitions after a rebalance. */
  assigned?(partitions: number[]): void;
  /** The consumer failed and restarts itself (e.g. the broker was unreachable for too long). */
  crashed?(error: Error): void;
}

export interface PartitionLag {
  partition: number;
  /** Next offset to be written to the partition. */
  highWatermark: bigint;
  /** Next offset the group will read (the oldest offset when nothing was committed yet). */
  committedOffset: bigint;
  /** Records not yet committed. */
  lag: bigint;
}

/** Errors after which this member no longer owns the partition: commit nothing more, kafkajs rejoins. */
const LOST_PARTITION = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

function losesPartition(err: unknown): boolean {
  return LOST_PARTITION.has((err as { type?: string }).type ?? '');
}

const SLEEP_SLICE_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Attempts to subscribe while the spans topic is being created (about 30 s in all). */
const SUBSCRIBE_ATTEMPTS = 20;

/**
 * Keeps the member alive while eachBatch waits for room in its partition's pipeline (kafkajs
 * heartbeats only between batches or when asked), and remembers a failed heartbeat: the group
 * is rebalancing or the member was dropped, so kafkajs must rejoin.
 */
class Keepalive {
  lost: Error | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(payload: EachBatchPayload, intervalMs: number) {
    this.timer = setInterval(() => {
      payload.heartbeat().catch((err: Error) => (this.lost ??= err));
    }, Math.max(100, Math.floor(intervalMs / 3)));
  }

  /** Throws the heartbeat's error once one failed. */
  check(): void {
    if (this.lost) throw this.lost;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class KafkaSpanSource {
  readonly config: ResolvedKafkaSpanSourceConfig;
  private readonly consumer: Consumer;
  private readonly deadLetters: Producer;
  private readonly admin: Admin;
  private readonly limits: ChunkLimits;
  private partitions: number[] = [];
  private pipelines = new Map<number, PartitionPipeline>();
  private stopping = false;

  constructor(
    kafka: Kafka,
    config: KafkaSpanSourceConfig,
    private readonly write: BatchWriter,
    private readonly observer: SourceObserver = {},
  ) {
    this.config = resolveSourceConfig(config);
    const c = this.config;
    this.limits = { projectId: c.projectId, maxAttributesPerSpan: c.maxAttributesPerSpan, maxAttributeValueBytes: c.maxAttributeValueBytes, maxRecordBytes: c.maxRecordBytes, maxBatchSpans: c.maxBatchSpans };
    this.consumer = kafka.consumer({
      groupId: c.groupId,
      sessionTimeout: c.sessionTimeoutMs,
      heartbeatInterval: c.heartbeatIntervalMs,
      rebalanceTimeout: c.rebalanceTimeoutMs,
      maxBytesPerPartition: c.fetchMaxBytesPerPartition,
      maxBytes: c.fetchMaxBytes,
      minBytes: c.fetchMinBytes,
      maxWaitTimeInMs: c.fetchMaxWaitMs,
      // The processor may start before the collector created the topic.
      allowAutoTopicCreation: true,
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8, restartOnFailure: async () => true },
    });
    this.deadLetters = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    this.admin = kafka.admin();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      // A new generation reads each partition again from its committed offset: what the old
      // pipelines still have in flight must not commit any more.
      for (const pipeline of this.pipelines.values()) pipeline.revoked = true;
      this.pipelines = new Map();
      this.partitions = [...(event.payload.memberAssignment[c.topic] ?? [])].sort((a, b) => a - b);
      this.observer.assigned?.(this.partitions);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => this.observer.crashed?.(event.payload.error));
  }

  /** Joins the group and starts consuming; rejects when the cluster cannot be reached. */
  async start(): Promise<void> {
    await Promise.all([this.deadLetters.connect(), this.admin.connect(), this.consumer.connect()]);
    await this.subscribe();
    await this.consumer.run({
      autoCommit: false,
      // Offsets are resolved by hand after each commit; auto-resolving would move the fetch
      // position past records of an abandoned batch.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.concurrency,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /**
   * Subscribes to the spans topic. A topic that does not exist yet is created by the broker on
   * first request (auto-creation), but the first answers still say it is unknown: wait for it.
   */
  private async subscribe(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.consumer.subscribe({ topic: this.config.topic, fromBeginning: this.config.fromBeginning });
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable || attempt >= SUBSCRIBE_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  }

  /**
   * Stops fetching, lets the writes in flight finish (a write that succeeds is committed; one
   * that keeps failing is given up uncommitted), then leaves the group and disconnects.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      this.consumer.pause([{ topic: this.config.topic }]);
    } catch {
      // not running yet: nothing is in flight
    }
    await Promise.all([...this.pipelines.values()].map((pipeline) => pipeline.drained()));
    await this.consumer.disconnect();
    await Promise.allSettled([this.deadLetters.disconnect(), this.admin.disconnect()]);
  }

  /** Partitions of the spans topic this member owns. */
  assignedPartitions(): readonly number[] {
    return this.partitions;
  }

  /** Lag of this member's partitions, read from the broker. */
  async lag(): Promise<PartitionLag[]> {
    const { topic, groupId } = this.config;
    const owned = this.partitions;
    if (owned.length === 0) return [];
    const [watermarks, [committed]] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId, topics: [topic] })]);
    return owned.map((partition) => {
      const marks = watermarks.find((w) => w.partition === partition);
      const highWatermark = BigInt(marks?.high ?? 0);
      const commit = BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      const committedOffset = commit >= 0n ? commit : BigInt(marks?.low ?? 0);
      return { partition, highWatermark, committedOffset, lag: highWatermark > committedOffset ? highWatermark - committedOffset : 0n };
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    const pipeline = this.pipelineFor(partition);
    const keepalive = new Keepalive(payload, this.config.heartbeatIntervalMs);
    const goOn = () => !this.stopping && !pipeline.revoked && !payload.isStale();
    try {
      for (const chunk of decodeChunks(topic, partition, messages, this.limits)) {
        while (goOn() && pipeline.full) {
          await Promise.race([pipeline.oldest(), sleep(SLEEP_SLICE_MS)]);
          keepalive.check();
        }
        if (!goOn()) return;
        if (chunk.rejectedSpans > 0) this.observer.rejected?.(chunk.rejectedSpans, chunk.problems);
        pipeline.add(
          () => this.store(pipeline, chunk),
          () => this.commit(pipeline, chunk.batch, chunk.deadLetters.length, payload),
        );
        // The next fetch starts after this chunk; its offset is committed only once it is stored.
        payload.resolveOffset(chunk.batch.lastOffset);
      }
    } finally {
      keepalive.stop();
    }
  }

  private pipelineFor(partition: number): PartitionPipeline {
    let pipeline = this.pipelines.get(partition);
    if (!pipeline) this.pipelines.set(partition, (pipeline = new PartitionPipeline(this.config.maxInFlightChunks)));
    return pipeline;
  }

  /** Writes the chunk's spans, then its dead letters. */
  private async store(pipeline: PartitionPipeline, chunk: DecodedChunk): Promise<boolean> {
    const { batch, deadLetters } = chunk;
    if (!(await this.untilDone(pipeline, 'write', () => this.write(batch)))) return false;
    return deadLetters.length === 0 || this.untilDone(pipeline, 'dead-letter', () => this.sendDeadLetters(deadLetters));
  }

  private async commit(pipeline: PartitionPipeline, batch: SourceBatch, deadLetters: number, payload: EachBatchPayload): Promise<boolean> {
    const offset = (BigInt(batch.lastOffset) + 1n).toString();
    const offsets = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] };
    const committed = await this.untilDone(pipeline, 'commit', () => payload.commitOffsetsIfNecessary(offsets));
    if (committed) this.observer.committed?.(batch, deadLetters);
    return committed;
  }

  /**
   * Runs `step` until it succeeds, backing off between attempts. False when it was given up:
   * the source is stopping, or the partition was revoked (also when the step itself says so).
   */
  private async untilDone(pipeline: PartitionPipeline, step: RetriedStep, operation: () => Promise<void>): Promise<boolean> {
    const givenUp = () => this.stopping || pipeline.revoked;
    for (let attempt = 1; ; attempt++) {
      try {
        await operation();
        return true;
      } catch (err) {
        if (losesPartition(err)) pipeline.revoked = true;
        if (givenUp()) return false;
        const delay = Math.min(this.config.retryMaxMs, this.config.retryInitialMs * 2 ** Math.min(attempt - 1, 20));
        this.observer.retrying?.(step, err as Error, attempt, delay);
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (givenUp()) return false;
          await sleep(Math.min(SLEEP_SLICE_MS, until - Date.now()));
        }
      }
    }
  }

  private async sendDeadLetters(letters: DeadLetter[]): Promise<void> {
    await this.deadLetters.send({
      topic: this.config.deadLetterTopic,
      acks: -1,
      messages: letters.map((letter) => deadLetterRecord(letter, this.config.groupId)),
    });
    for (const letter of letters) this.observer.deadLettered?.(letter);
  }
}
