// One client's stream of trace events: history from storage, then live from the hub,
// with no gap and no duplicate. The live subscription is opened *before* the history
// query, and live events are held until the history has been sent; events of spans the
// history already contained are then dropped. After that, events go out as they come.
//
// The SSE id of an event is its own id as long as ids increase. A span committed late
// (its end time before one already sent) is sent without an id, so the client's
// Last-Event-ID stays the highest id it has seen and a resume neither repeats nor skips
// anything sent in order.
import { compareEventKeys, type EventKey } from '../events/event-id.ts';
import { deriveEvents, type StreamEvent } from '../events/derive.ts';
import type { StreamSpan } from '../events/stream-span.ts';
import { kindMatches, type LiveEventHub, type StreamFilter } from './live-event-hub.ts';
import { sseFrame, type SseConnection } from './sse-connection.ts';

/** Where a history page starts: at an event (inclusive of its span), or after a span. */
export type HistoryPosition =
  | { from: EventKey }
  | { after: { endNs: bigint; spanId: string; traceId: string } }
  | undefined;

/** Stored spans matching the stream's filter from a position on, in event order. */
export type HistoryReader = (position: HistoryPosition, limit: number) => Promise<StreamSpan[]>;

export interface TraceEventStreamOptions {
  filter: StreamFilter;
  /** Absent: live events only. */
  history?: HistoryReader;
  /** The client's Last-Event-ID: resume after it. */
  resumeFrom?: EventKey;
  pageSpans: number;
  maxPendingEvents: number;
  replayDrainTimeoutMs: number;
}

/** How long after going live events of spans the history contained are still dropped. */
const HISTORY_DEDUP_WINDOW_MS = 10_000;

const spanKey = (traceId: string, spanId: string) => `${traceId}:${spanId}`;

export function eventFrame(event: StreamEvent): string {
  event.frame ??= sseFrame('trace', JSON.stringify(event.event), event.event.id);
  return event.frame;
}

/** The frames of a list of events in strictly increasing id order, encoded once for every connection it is sent to. */
const encodedLists = new WeakMap<readonly StreamEvent[], Buffer | null>();

/** The list's frames as one buffer, or null when its ids do not strictly increase (then each connection frames it itself). */
function encodedInOrder(events: readonly StreamEvent[]): Buffer | null {
  let encoded = encodedLists.get(events);
  if (encoded === undefined) {
    let increasing = true;
    for (let i = 1; i < events.length && increasing; i++) increasing = compareEventKeys(events[i - 1]!.key, events[i]!.key) < 0;
    encoded = increasing ? Buffer.from(events.map(eventFrame).join(''), 'utf8') : null;
    encodedLists.set(events, encoded);
  }
  return encoded;
}

export class TraceEventStream {
  private live = false;
  private pending: StreamEvent[] = [];
  private historySpans: Set<string> | undefined;
  private watermark: EventKey | undefined;

  constructor(
    private readonly connection: SseConnection,
    private readonly hub: LiveEventHub,
    private readonly options: TraceEventStreamOptions,
  ) {
    this.watermark = options.resumeFrom;
  }

  /** Runs until the history is sent; live events keep flowing until the connection closes. */
  async start(): Promise<void> {
    const unsubscribe = this.hub.subscribe(this.options.filter, (events) => this.onLive(events));
    this.connection.onClose(unsubscribe);
    this.connection.open();
    if (this.options.history) {
      this.historySpans = new Set();
      try {
        await this.replay(this.options.history);
      } catch (err) {
        this.connection.drop({ reason: 'internal_error', message: `reading the history failed: ${(err as Error).message}` });
        return;
      }
      setTimeout(() => (this.historySpans = undefined), HISTORY_DEDUP_WINDOW_MS).unref();
    }
    if (this.connection.closed) return;
    this.live = true;
    const held = this.pending;
    this.pending = [];
    this.send(this.notInHistory(held));
  }

  private async replay(read: HistoryReader): Promise<void> {
    const { resumeFrom, pageSpans, replayDrainTimeoutMs } = this.options;
    let position: HistoryPosition = resumeFrom && { from: resumeFrom };
    for (;;) {
      const spans = await read(position, pageSpans);
      if (this.connection.closed) return;
      const events: StreamEvent[] = [];
      for (const span of spans) {
        this.historySpans!.add(spanKey(span.traceId, span.spanId));
        for (const event of deriveEvents(span)) {
          if (kindMatches(this.options.filter, event) && (resumeFrom === undefined || compareEventKeys(event.key, resumeFrom) > 0)) {
            events.push(event);
          }
        }
      }
      this.send(events);
      const last = spans[spans.length - 1];
      if (last === undefined || spans.length < pageSpans) return;
      position = { after: { endNs: last.endNs, spanId: last.spanId, traceId: last.traceId } };
      if (!(await this.connection.drained(replayDrainTimeoutMs))) {
        this.connection.drop({ reason: 'slow_consumer', message: `the client did not read the history within ${replayDrainTimeoutMs} ms` });
        return;
      }
    }
  }

  private onLive(events: readonly StreamEvent[]): void {
    if (this.connection.closed) return;
    if (!this.live) {
      for (const event of events) this.pending.push(event);
      if (this.pending.length > this.options.maxPendingEvents) {
        this.pending = [];
        this.connection.drop({ reason: 'slow_consumer', message: `more than ${this.options.maxPendingEvents} live events arrived while the history was sent` });
      }
      return;
    }
    this.send(this.notInHistory(events));
  }

  private notInHistory(events: readonly StreamEvent[]): readonly StreamEvent[] {
    const seen = this.historySpans;
    if (seen === undefined || seen.size === 0) return events;
    return events.filter((event) => !seen.has(spanKey(event.traceId, event.key.spanId)));
  }

  private send(events: readonly StreamEvent[]): void {
    const first = events[0];
    if (first === undefined) return;
    // The common case — a live batch after everything sent so far — shares one encoded
    // buffer among all connections that receive the same list.
    if (this.watermark === undefined || compareEventKeys(first.key, this.watermark) > 0) {
      const encoded = encodedInOrder(events);
      if (encoded !== null) {
        this.watermark = events[events.length - 1]!.key;
        this.connection.send(encoded);
        return;
      }
    }
    let frames = '';
    for (const event of events) {
      if (this.watermark === undefined || compareEventKeys(event.key, this.watermark) > 0) {
        frames += eventFrame(event);
        this.watermark = event.key;
      } else {
        frames += sseFrame('trace', JSON.stringify(event.event));
      }
    }
    if (frames !== '') this.connection.send(frames);
  }
}
