// Fans committed span batches out to live subscribers. The bus listener only queues the
// batch and returns: derivation and delivery happen on a later turn of the event loop,
// so a slow or large subscriber set never holds up the pipeline that published.
import type { EnrichedSpan } from '../../core/span.ts';
import type { SpanBus } from '../../pipeline/bus/span-bus.ts';
import { compareEventKeys } from '../events/event-id.ts';
import { deriveEvents, type StreamEvent, type TraceEventKind } from '../events/derive.ts';
import { fromEnrichedSpan, type StreamSpan } from '../events/stream-span.ts';

/** Which events a subscriber wants. Empty or absent sets match everything. */
export interface StreamFilter {
  projectId: string;
  runId?: string;
  services?: ReadonlySet<string>;
  workflows?: ReadonlySet<string>;
  kinds?: ReadonlySet<TraceEventKind>;
  failureClasses?: ReadonlySet<string>;
}

/** Receives a batch's matching events in id order. The array is shared with every subscriber of the same filter: read it, never change it. */
export type LiveListener = (events: readonly StreamEvent[]) => void;

interface Subscriber {
  filter: StreamFilter;
  listener: LiveListener;
}

/**
 * Subscribers with equal filters. A batch's events are matched, collected and sorted once
 * per group, and the same array goes to every member: with a thousand firehose clients the
 * work per batch stays one pass over its spans.
 */
interface FilterGroup {
  filter: StreamFilter;
  subscribers: Set<Subscriber>;
}

type Groups = Map<string, FilterGroup>;

const matches = (set: ReadonlySet<string> | undefined, value: string) => set === undefined || set.size === 0 || set.has(value);

/** Whether a span's events can match the filter (the event kind is checked per event). */
export function spanMatches(filter: StreamFilter, span: StreamSpan): boolean {
  return (
    span.projectId === filter.projectId &&
    (filter.runId === undefined || span.runId === filter.runId) &&
    matches(filter.services, span.serviceName) &&
    matches(filter.workflows, span.workflowId) &&
    matches(filter.failureClasses, span.failureClass)
  );
}

export const kindMatches = (filter: StreamFilter, event: StreamEvent) => matches(filter.kinds, event.event.kind);

const sortedList = (set: ReadonlySet<string> | undefined) => (set === undefined ? [] : [...set].sort());

/** Equal for filters that select the same events. */
function filterKey(filter: StreamFilter): string {
  const { projectId, runId, services, workflows, kinds, failureClasses } = filter;
  return JSON.stringify([projectId, runId ?? null, sortedList(services), sortedList(workflows), sortedList(kinds), sortedList(failureClasses)]);
}

/** How many recently delivered spans are remembered to drop a redelivered batch. */
const RECENT_SPANS = 100_000;

export class LiveEventHub {
  private readonly byRun = new Map<string, Groups>();
  private readonly firehose: Groups = new Map();
  private readonly queue: EnrichedSpan[][] = [];
  private scheduled = false;
  private unsubscribeBus: (() => void) | undefined;
  /** Span keys delivered recently (ring buffer + set): the bus is at-least-once. */
  private readonly recent = new Set<string>();
  private readonly recentRing: string[] = [];
  private recentNext = 0;

  constructor(private readonly bus: SpanBus) {}

  start(): void {
    this.unsubscribeBus ??= this.bus.subscribe((spans) => this.enqueue(spans));
  }

  stop(): void {
    this.unsubscribeBus?.();
    this.unsubscribeBus = undefined;
    this.queue.length = 0;
  }

  get subscriberCount(): number {
    let n = 0;
    for (const groups of [this.firehose, ...this.byRun.values()]) for (const group of groups.values()) n += group.subscribers.size;
    return n;
  }

  /** Delivers every later committed event matching the filter, batch by batch in id order. Returns the unsubscribe function. */
  subscribe(filter: StreamFilter, listener: LiveListener): () => void {
    const subscriber: Subscriber = { filter, listener };
    const runKey = filter.runId === undefined ? undefined : `${filter.projectId}\0${filter.runId}`;
    const groups = runKey === undefined ? this.firehose : this.groupsOfRun(runKey);
    const key = filterKey(filter);
    const group = groups.get(key) ?? { filter, subscribers: new Set<Subscriber>() };
    groups.set(key, group);
    group.subscribers.add(subscriber);
    return () => {
      if (!group.subscribers.delete(subscriber) || group.subscribers.size > 0) return;
      if (groups.get(key) === group) groups.delete(key);
      if (runKey !== undefined && groups.size === 0 && this.byRun.get(runKey) === groups) this.byRun.delete(runKey);
    };
  }

  private groupsOfRun(runKey: string): Groups {
    let groups = this.byRun.get(runKey);
    if (groups === undefined) this.byRun.set(runKey, (groups = new Map()));
    return groups;
  }

  private enqueue(spans: EnrichedSpan[]): void {
    if (this.firehose.size === 0 && this.byRun.size === 0) return;
    this.queue.push(spans);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    for (let batch = this.queue.shift(); batch !== undefined; batch = this.queue.shift()) {
      try {
        this.deliver(batch);
      } catch (err) {
        process.emitWarning(`live event delivery failed: ${(err as Error).message}`);
      }
    }
  }

  private deliver(batch: EnrichedSpan[]): void {
    const perGroup = new Map<FilterGroup, StreamEvent[]>();
    for (const enriched of batch) {
      const runGroups = this.byRun.get(`${enriched.projectId}\0${enriched.run.runId}`);
      if (runGroups === undefined && this.firehose.size === 0) continue;
      if (!this.remember(`${enriched.traceId}:${enriched.spanId}`)) continue;
      const span = fromEnrichedSpan(enriched);
      let events: StreamEvent[] | undefined;
      for (const groups of [runGroups, this.firehose]) {
        if (groups === undefined) continue;
        for (const group of groups.values()) {
          if (!spanMatches(group.filter, span)) continue;
          events ??= deriveEvents(span);
          let list = perGroup.get(group);
          if (list === undefined) perGroup.set(group, (list = []));
          for (const event of events) if (kindMatches(group.filter, event)) list.push(event);
        }
      }
    }
    for (const [group, events] of perGroup) {
      if (events.length === 0) continue;
      // Within a batch, spans come in any order: sort so live order equals history order.
      events.sort(compareStreamEvents);
      for (const subscriber of group.subscribers) subscriber.listener(events);
    }
  }

  /** False when the span was delivered recently (a redelivered batch). */
  private remember(key: string): boolean {
    if (this.recent.has(key)) return false;
    this.recent.add(key);
    const evicted = this.recentRing[this.recentNext];
    if (evicted !== undefined) this.recent.delete(evicted);
    this.recentRing[this.recentNext] = key;
    this.recentNext = (this.recentNext + 1) % RECENT_SPANS;
    return true;
  }
}

export function compareStreamEvents(a: StreamEvent, b: StreamEvent): number {
  const byKey = compareEventKeys(a.key, b.key);
  if (byKey !== 0) return byKey;
  return a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0;
}
