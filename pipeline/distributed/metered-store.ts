// A SpanStore that counts and times its inserts into the processor's metrics.
import type { EnrichedSpan } from '../../core/span.ts';
import type { QueryFormat, SpanStore, StatementRequest, StatementResult } from '../../storage/store.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';

export class MeteredStore implements SpanStore {
  constructor(
    private readonly store: SpanStore,
    private readonly metrics: ProcessorMetrics,
  ) {}

  async insertSpans(spans: EnrichedSpan[], dedupToken: string): Promise<void> {
    const stopTimer = this.metrics.insertSeconds.startTimer();
    try {
      await this.store.insertSpans(spans, dedupToken);
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
