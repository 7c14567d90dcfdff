import type { EnrichedSpan } from '../../core/span.ts';

/** Listeners receive every committed batch, in commit order. */
export type SpanListener = (spans: EnrichedSpan[]) => void;

/**
 * Carries spans that are already stored to live consumers (the SSE tail). Embedded mode
 * uses the in-process bus; the distributed mode feeds the same interface from the
 * `flowtrace.enriched` Kafka topic.
 */
export interface SpanBus {
  publish(spans: EnrichedSpan[]): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: SpanListener): () => void;
}

export class InProcessSpanBus implements SpanBus {
  private readonly listeners = new Set<SpanListener>();

  publish(spans: EnrichedSpan[]): void {
    for (const listener of this.listeners) {
      // A failing subscriber must never break the pipeline that already stored the spans.
      try {
        listener(spans);
      } catch (err) {
        process.emitWarning(`span bus listener failed: ${(err as Error).message}`);
      }
    }
  }

  subscribe(listener: SpanListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
