// Group commit: many OTLP requests share one storage insert, and each request is
// acknowledged only when the insert holding its spans has committed. This is how the
// embedded pipeline keeps "a 200 means stored" while inserting in large blocks.
// Each request is serialised for storage as it is accepted and an insert joins the bytes
// of its requests, so serialising is spread over the requests rather than done by the
// insert for thousands of spans at once (which would stall every other request).
import { createHash } from 'node:crypto';
import type { EnrichedSpan } from '../../core/span.ts';
import { BackpressureError, StorageUnavailableError } from '../../core/errors.ts';
import { concatSpanRows, serializeSpans, type SpanRows } from '../../storage/rows.ts';
import type { SpanStore } from '../../storage/store.ts';

export interface GroupCommitConfig {
  /** Spans waiting for storage; beyond this, writes are refused with BackpressureError. */
  maxQueuedSpans: number;
  /** Spans per insert (whole requests are never split; a single larger request goes alone). */
  maxBatchSpans: number;
  /**
   * How long the first waiting request may wait for company before an idle writer inserts.
   * It waits only while requests arrive faster than this (company is expected in time).
   */
  maxBatchDelayMs: number;
  /** Request keys remembered after commit, so a client retry of a committed request is a no-op. */
  rememberedKeys?: number;
}

/** Called with every batch once it is durable, in commit order (the in-process bus). */
export type CommitListener = (spans: EnrichedSpan[]) => void;

interface PendingWrite {
  spans: EnrichedSpan[];
  rows: SpanRows;
  key: string;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class GroupCommitWriter {
  private readonly pending: PendingWrite[] = [];
  private readonly pendingByKey = new Map<string, PendingWrite>();
  private readonly committedKeys = new Set<string>();
  private queuedSpans = 0;
  private inserting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** When the last write arrived, and the moving mean of the gaps between writes (none yet: 0, wait). */
  private lastWriteAt: number | undefined;
  private meanGapMs = 0;

  constructor(
    private readonly store: SpanStore,
    private readonly config: GroupCommitConfig,
    private readonly onCommit: CommitListener = () => {},
  ) {
    for (const [name, value] of Object.entries(config)) {
      if (!Number.isInteger(value) || (value as number) < 0) throw new RangeError(`group commit: ${name} must be a non-negative integer, got ${value}`);
    }
  }

  /** Spans accepted but not yet committed. */
  get queued(): number {
    return this.queuedSpans;
  }

  /**
   * Resolves once `spans` are committed. The same key (a retried request) is stored once:
   * while pending it joins the first write, after commit it resolves at once.
   */
  write(spans: EnrichedSpan[], key: string): Promise<void> {
    if (this.closed) return Promise.reject(new StorageUnavailableError('the pipeline is shutting down', 1));
    if (this.committedKeys.has(key)) return Promise.resolve();
    const inFlight = this.pendingByKey.get(key);
    if (inFlight) return inFlight.done;
    if (this.queuedSpans > 0 && this.queuedSpans + spans.length > this.config.maxQueuedSpans) {
      return Promise.reject(
        new BackpressureError(`ingest queue full (${this.queuedSpans} spans waiting for storage, limit ${this.config.maxQueuedSpans})`, 1),
      );
    }
    let rows: SpanRows;
    try {
      rows = serializeSpans(spans);
    } catch (err) {
      return Promise.reject(err);
    }
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const write: PendingWrite = { spans, rows, key, done, resolve, reject };
    this.noteArrival();
    this.pending.push(write);
    this.pendingByKey.set(key, write);
    this.queuedSpans += spans.length;
    this.schedule();
    return done;
  }

  /** Commits everything accepted so far. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.inserting) {
      if (this.inserting) await this.inserting.catch(() => {});
      else this.startInsert();
    }
  }

  /** Refuses new writes, then commits what was accepted. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /**
   * Waiting for company pays only if it comes within maxBatchDelayMs: at 20 requests a
   * second (50 ms apart) a 50 ms wait would add 50 ms to every request and join nothing.
   */
  private noteArrival(): void {
    const now = performance.now();
    if (this.lastWriteAt !== undefined) this.meanGapMs = 0.8 * this.meanGapMs + 0.2 * (now - this.lastWriteAt);
    this.lastWriteAt = now;
  }

  private schedule(): void {
    if (this.inserting || this.pending.length === 0) return;
    const companyExpected = this.meanGapMs < this.config.maxBatchDelayMs;
    if (this.queuedSpans >= this.config.maxBatchSpans || !companyExpected) {
      this.startInsert();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.startInsert(), this.config.maxBatchDelayMs);
    }
  }

  private startInsert(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inserting || this.pending.length === 0) return;
    const group = this.takeGroup();
    this.inserting = this.insertGroup(group).finally(() => {
      this.inserting = undefined;
      // Requests that arrived during the insert have already waited: go again at once.
      if (this.pending.length > 0) this.startInsert();
    });
  }

  private takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [];
    let size = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0];
      if (group.length > 0 && size + next.spans.length > this.config.maxBatchSpans) break;
      group.push(this.pending.shift()!);
      size += next.spans.length;
    }
    return group;
  }

  private async insertGroup(group: PendingWrite[]): Promise<void> {
    // The same group retried (after a transient failure) carries the same token, so a
    // half-acknowledged insert is not stored twice.
    const token = createHash('sha256')
      .update(group.map((w) => w.key).join(','))
      .digest('hex');
    try {
      await this.store.insertSpanRows(concatSpanRows(group.map((w) => w.rows)), token);
    } catch (err) {
      this.settle(group, new StorageUnavailableError(`storage insert failed: ${(err as Error).message}`, 5));
      return;
    }
    this.settle(group);
    for (const w of group) this.remember(w.key);
    this.onCommit(group.length === 1 ? group[0].spans : group.flatMap((w) => w.spans));
  }

  private settle(group: PendingWrite[], error?: Error): void {
    for (const w of group) {
      this.pendingByKey.delete(w.key);
      this.queuedSpans -= w.spans.length;
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  private remember(key: string): void {
    this.committedKeys.add(key);
    const limit = this.config.rememberedKeys ?? 100_000;
    if (this.committedKeys.size > limit) {
      // Sets iterate in insertion order: drop the oldest.
      this.committedKeys.delete(this.committedKeys.values().next().value as string);
    }
  }
}
