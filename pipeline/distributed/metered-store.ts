// A SpanStore that counts and times its inserts into the processor's metrics.
import type { EnrichedSpan } from '../../core/span.ts';
import type { SpanRows } from '../../storage/rows.ts';
import type { QueryFormat, SpanStore, StatementRequest, StatementResult } from '../../storage/store.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';

export class MeteredStore implements SpanStore {
  constructor(
    private readonly store: SpanStore,
    private readonly metrics: ProcessorMetrics,
  ) {}

  insertSpans(spans: EnrichedSpan[], dedupToken: string): Promise<void> {
    return this.metered(() => this.store.insertSpans(spans, dedupToken));
  }

  insertSpanRows(batch: SpanRows, dedupToken: string): Promise<void> {
    return this.metered(() => this.store.insertSpanRows(batch, dedupToken));
  }

  private async metered(insert: () => Promise<void>): Promise<void> {
    const stopTimer = this.metrics.insertSeconds.startTimer();
    try {
      await insert();
    } catch (err) {
      this.metrics.insertFailures.inc();
      throw err;
    }
    stopTimer();
    this.metrics.inserts.inc();
  }

  migrate(): Promise<void> {
    return this.store.migrate();
  }

  query(sql: string, format?: QueryFormat): Promise<string> {
    return this.store.query(sql, format);
  }

  execute(request: StatementRequest): Promise<StatementResult> {
    return this.store.execute(request);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
