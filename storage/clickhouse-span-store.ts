// What the embedded engine and a ClickHouse server have in common as span stores: the
// migrations, a batch written table by table under one deduplication token, and a
// close() that lets running operations finish. Each store says how one table's rows are
// inserted and how its engine's or client's errors become StoreQueryErrors.
import type { EnrichedSpan } from '../core/span.ts';
import { migrate, storeRunner } from './migrate.ts';
import { OperationTracker } from './operation-tracker.ts';
import { insertSettings, serializeSpans, type SpanRows, type TableRows } from './rows.ts';
import type { QueryFormat, SpanStore, StatementRequest, StatementResult } from './store.ts';

export interface ClickHouseSpanStoreOptions {
  /** Days of spans to keep; unset keeps everything. */
  retentionDays: number | undefined;
  /** Maps a failed operation's error, e.g. engine text to a StoreQueryError. */
  toStoreError: (err: unknown) => unknown;
}

export abstract class ClickHouseSpanStore implements SpanStore {
  private readonly operations = new OperationTracker();

  protected constructor(private readonly options: ClickHouseSpanStoreOptions) {}

  migrate(): Promise<void> {
    return this.track(async () => {
      await migrate(storeRunner(this), { retentionDays: this.options.retentionDays });
    });
  }

  insertSpans(spans: EnrichedSpan[], dedupToken: string): Promise<void> {
    if (dedupToken === '') return Promise.reject(new TypeError('insertSpans needs a non-empty dedupToken'));
    let batch: SpanRows;
    try {
      batch = serializeSpans(spans);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.insertSpanRows(batch, dedupToken);
  }

  insertSpanRows(batch: SpanRows, dedupToken: string): Promise<void> {
    if (dedupToken === '') return Promise.reject(new TypeError('insertSpanRows needs a non-empty dedupToken'));
    if (batch.spanCount === 0) return this.track(async () => {});
    return this.track(async () => {
      const settings = insertSettings(dedupToken);
      if (this.writesTablesInParallel(batch)) await Promise.all(batch.tables.map((rows) => this.insertRows(rows, settings)));
      else for (const rows of batch.tables) await this.insertRows(rows, settings);
    });
  }

  /** Whether a batch's tables are written at the same time (default) or one after the other. */
  protected writesTablesInParallel(_batch: SpanRows): boolean {
    return true;
  }

  abstract query(sql: string, format?: QueryFormat): Promise<string>;
  abstract execute(request: StatementRequest): Promise<StatementResult>;
  abstract close(): Promise<void>;

  /** Inserts one table's rows of a batch with the batch's settings. */
  protected abstract insertRows(rows: TableRows, settings: Record<string, string>): Promise<unknown>;

  /** Runs `operation` unless the store is closing, mapping its errors with toStoreError. */
  protected track<T>(operation: () => Promise<T>): Promise<T> {
    return this.operations.run(operation, this.options.toStoreError);
  }

  /** Waits for running operations, then calls `release` once; later calls return the same promise. */
  protected closeAfterOperations(release: () => void | Promise<void>): Promise<void> {
    return this.operations.close(release);
  }
}
