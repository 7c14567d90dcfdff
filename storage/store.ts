import type { EnrichedSpan } from '../core/span.ts';

/** Output formats the store can return (ClickHouse format names). */
export type QueryFormat = 'JSONEachRow' | 'JSON' | 'CSVWithNames' | 'TabSeparatedWithNames' | 'PrettyCompactMonoBlock';

/**
 * Where enriched spans are kept. Two implementations share one set of SQL: the embedded
 * engine (chdb) and a ClickHouse server (@clickhouse/client).
 */
export interface SpanStore {
  /** Applies the ordered, idempotent migrations in storage/migrations. */
  migrate(): Promise<void>;
  /**
   * Writes a batch to otel_traces and span_facts. Resolves only once the insert has
   * committed; calling it again with the same dedupToken and rows is a no-op.
   */
  insertSpans(spans: EnrichedSpan[], dedupToken: string): Promise<void>;
  /** Runs one SQL statement and returns the engine's output in `format`. */
  query(sql: string, format?: QueryFormat): Promise<string>;
  close(): Promise<void>;
}
