import type { EnrichedSpan } from '../core/span.ts';
import type { SpanRows } from './rows.ts';

/** Output formats the store can return (ClickHouse format names). */
export type QueryFormat = 'JSONEachRow' | 'JSON' | 'CSVWithNames' | 'TabSeparatedWithNames' | 'PrettyCompactMonoBlock';

/** One statement with everything a ClickHouse client may send along with it. */
export interface StatementRequest {
  sql: string;
  /** Output format when the statement has no FORMAT clause (any ClickHouse format name). Default TabSeparated. */
  format?: string;
  /** ClickHouse settings for this statement only, values as text (e.g. `max_execution_time: '30'`). */
  settings?: Readonly<Record<string, string>>;
  /** Values for `{name:Type}` placeholders, unescaped. */
  params?: Readonly<Record<string, string>>;
  /** The rows of an `INSERT INTO … FORMAT <text format>` statement. */
  data?: Buffer;
  /** Run with the engine's `readonly = 1`: reads only, no setting changes in the query. */
  readOnly?: boolean;
}

export interface StatementResult {
  /** The engine's output, in the requested format. */
  body: Buffer;
  rowsRead: number;
  bytesRead: number;
  rowsWritten: number;
  bytesWritten: number;
  elapsedNs: number;
}

/** An error raised by the engine, with its ClickHouse code (message in ClickHouse's `Code: N. DB::Exception: …` form). */
export class StoreQueryError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = 'StoreQueryError';
  }
}

export class StoreClosedError extends Error {
  constructor() {
    super('the span store is closed');
    this.name = 'StoreClosedError';
  }
}

/**
 * Where enriched spans are kept. Two implementations share one set of SQL: the embedded
 * engine (chdb) and a ClickHouse server (@clickhouse/client).
 */
export interface SpanStore {
  /** Applies the ordered, idempotent migrations in storage/migrations, then the retention setting. */
  migrate(): Promise<void>;
  /**
   * Writes a batch to otel_traces and span_facts. Resolves only once the insert has
   * committed; calling it again with the same dedupToken and rows is a no-op.
   */
  insertSpans(spans: EnrichedSpan[], dedupToken: string): Promise<void>;
  /** insertSpans for spans already serialised (serializeSpans, concatSpanRows). */
  insertSpanRows(batch: SpanRows, dedupToken: string): Promise<void>;
  /** Runs one trusted SQL statement and returns the engine's output in `format` (default JSONEachRow). */
  query(sql: string, format?: QueryFormat): Promise<string>;
  /** Runs one statement as a ClickHouse client asked for it (the HTTP interface and `flowtrace sql` use this). */
  execute(request: StatementRequest): Promise<StatementResult>;
  /** Waits for running operations, then releases the engine; later calls fail with StoreClosedError. Idempotent. */
  close(): Promise<void>;
}
