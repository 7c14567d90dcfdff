import { describe, expect, it, vi } from 'vitest';
import type { EnrichedSpan } from '../../core/span.ts';
import { BackpressureError, StorageUnavailableError } from '../../core/errors.ts';
import { makeSpan } from '../../storage/fixtures.ts';
import type { SpanRows } from '../../storage/rows.ts';
import type { SpanStore } from '../../storage/store.ts';
import { GroupCommitWriter } from './group-commit-writer.ts';

/**
 * A stand-in SpanStore that records inserts and can be told to fail or stall: these tests
 * are about the writer's coordination, which needs failures on demand. The real engine
 * is exercised through the writer in pipeline/embedded.test.ts.
 */
class RecordingStore implements SpanStore {
  inserts: Array<{ count: number; token: string }> = [];
  failNext = false;
  gate: Promise<void> = Promise.resolve();
  async migrate() {}
  rows: SpanRows[] = [];
  async insertSpans(): Promise<never> {
    throw new Error('the writer inserts serialised rows');
  }
  async insertSpanRows(batch: SpanRows, token: string) {
    await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.inserts.push({ count: batch.spanCount, token });
    this.rows.push(batch);
  }
  async query(): Promise<string> {
    throw new Error('not used by the writer');
  }
  async execute(): Promise<never> {
    throw new Error('not used by the writer');
  }
  async close() {}
}

const spans = (n: number, name = 'span'): EnrichedSpan[] => Array.from({ length: n }, () => makeSpan({ name }));

function deferred() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  return { gate, open };
}

describe('GroupCommitWriter', () => {
  it('acknowledges a write only after the insert holding it committed', async () => {
    const store = new RecordingStore();
    const d = deferred();
    store.gate = d.gate;
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 0 });
    let acked = false;
    const p = writer.write(spans(3), 'a').then(() => (acked = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(acked).toBe(false);
    d.open();
    await p;
    expect(acked).toBe(true);
    expect(store.inserts).toEqual([{ count: 3, token: expect.any(String) }]);
  });

  it('groups requests that wait together into one insert, never splitting a request', async () => {
    const store = new RecordingStore();
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 10, maxBatchDelayMs: 30 });
    await Promise.all([writer.write(spans(4), 'a'), writer.write(spans(4), 'b'), writer.write(spans(4), 'c')]);
    expect(store.inserts.map((i) => i.count)).toEqual([8, 4]);
  });

  it('inserts the rows of a group in request order, one line per span in each table', async () => {
    const store = new RecordingStore();
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 30 });
    await Promise.all([writer.write(spans(2, 'first'), 'a'), writer.write(spans(3, 'second'), 'b')]);
    expect(store.rows).toHaveLength(1);
    for (const table of store.rows[0]!.tables.filter((t) => t.table !== 'otel_traces_trace_id_ts')) {
      const names = table.rows.toString('utf8').trimEnd().split('\n').map((line) => (line.includes('"first"') ? 'first' : line.includes('"second"') ? 'second' : '?'));
      expect(names).toEqual(['first', 'first', 'second', 'second', 'second']);
    }
  });

  it('refuses a request its spans cannot be stored from, before queueing it', async () => {
    const store = new RecordingStore();
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 0 });
    const [bad] = spans(1);
    bad!.cost = { usd: '1e-5', status: 'priced', priceRef: 'x', reason: '', savedUsd: null };
    await expect(writer.write([bad!], 'bad')).rejects.toThrow(/cost "1e-5" is not a decimal string/);
    expect(writer.queued).toBe(0);
    await writer.write(spans(1), 'good');
    expect(store.inserts.map((i) => i.count)).toEqual([1]);
  });

  it('waits for company only while requests arrive faster than the batch delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const store = new RecordingStore();
      const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 200 });
      const first = writer.write(spans(1), 'a');
      await vi.advanceTimersByTimeAsync(199);
      expect(store.inserts).toHaveLength(0); // nothing known about the gaps yet: it waits
      await vi.advanceTimersByTimeAsync(1);
      await first;
      await vi.advanceTimersByTimeAsync(5000);
      const second = writer.write(spans(1), 'b');
      await vi.advanceTimersByTimeAsync(0);
      expect(store.inserts).toHaveLength(2); // 5 s after the last request: no company is coming, no wait
      await second;
    } finally {
      vi.useRealTimers();
    }
  });

  it('stores a retried request once, whether it is still pending or already committed', async () => {
    const store = new RecordingStore();
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 10 });
    await Promise.all([writer.write(spans(5), 'same'), writer.write(spans(5), 'same')]);
    await writer.write(spans(5), 'same');
    expect(store.inserts.map((i) => i.count)).toEqual([5]);
  });

  it('refuses writes beyond the queue limit with a retry hint, keeping what it accepted', async () => {
    const store = new RecordingStore();
    const d = deferred();
    store.gate = d.gate;
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 10, maxBatchSpans: 100, maxBatchDelayMs: 0 });
    const first = writer.write(spans(8), 'a');
    const refused = writer.write(spans(8), 'b');
    await expect(refused).rejects.toBeInstanceOf(BackpressureError);
    await expect(refused).rejects.toThrow(/queue full \(8 spans waiting/);
    d.open();
    await first;
    expect(store.inserts.map((i) => i.count)).toEqual([8]);
  });

  it('fails every request of a failed insert as storage-unavailable and accepts the retry', async () => {
    const store = new RecordingStore();
    store.failNext = true;
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 5 });
    const results = await Promise.allSettled([writer.write(spans(2), 'a'), writer.write(spans(2), 'b')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
    }
    expect(writer.queued).toBe(0);
    await writer.write(spans(2), 'a');
    expect(store.inserts.map((i) => i.count)).toEqual([2]);
  });

  it('publishes committed batches to the listener and flushes on close', async () => {
    const store = new RecordingStore();
    const seen: number[] = [];
    const writer = new GroupCommitWriter(store, { maxQueuedSpans: 1000, maxBatchSpans: 100, maxBatchDelayMs: 1000 }, (s) => seen.push(s.length));
    const p = writer.write(spans(7), 'a');
    await writer.close();
    await p;
    expect(seen).toEqual([7]);
    await expect(writer.write(spans(1), 'late')).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
