// A ClickHouse server (over HTTP, @clickhouse/client) as a SpanStore. Same DDL and row
// format as the embedded engine; inserts carry insert_deduplication_token so a retried
// batch is a no-op on the server too.
import { Readable } from 'node:stream';
import { createClient, ClickHouseError, ClickHouseLogLevel, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { z } from 'zod';
import { ClickHouseSpanStore } from '../clickhouse-span-store.ts';
import { insertStatement, type TableRows } from '../rows.ts';
import { StoreQueryError, type QueryFormat, type StatementRequest, type StatementResult } from '../store.ts';

export const ClickHouseServerConfigSchema = z
  .object({
    /** HTTP(S) endpoint, e.g. http://127.0.0.1:8123. */
    url: z.string().url(),
    /** Must exist; the migrations create the tables in it. */
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'database must be a plain identifier').default('default'),
    username: z.string().default('default'),
    password: z.string().default(''),
    /** Days of spans to keep; unset keeps everything. */
    retentionDays: z.number().int().positive().optional(),
    requestTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

export type ClickHouseServerConfig = z.input<typeof ClickHouseServerConfigSchema>;

/** Pinned for query() so JSON results look the same on every server version (ClickHouse ≥ 25.8 defaults). */
const QUERY_SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 0, output_format_json_quote_decimals: 0 };

export class ClickHouseServerStore extends ClickHouseSpanStore {
  private readonly config: z.output<typeof ClickHouseServerConfigSchema>;
  private readonly client: ClickHouseClient;

  constructor(config: ClickHouseServerConfig) {
    const parsed = ClickHouseServerConfigSchema.parse(config);
    super({ retentionDays: parsed.retentionDays, toStoreError });
    this.config = parsed;
    this.client = createClient({
      url: this.config.url,
      database: this.config.database,
      username: this.config.username,
      password: this.config.password,
      request_timeout: this.config.requestTimeoutMs,
      application: 'flowtrace',
      // Every failure is returned to the caller as a StoreQueryError; the client's own log would repeat it.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  query(sql: string, format: QueryFormat = 'JSONEachRow'): Promise<string> {
    return this.track(async () => (await this.run({ sql, format }, QUERY_SETTINGS)).body.toString('utf8'));
  }

  execute(request: StatementRequest): Promise<StatementResult> {
    return this.track(() => this.run(request));
  }

  close(): Promise<void> {
    return this.closeAfterOperations(() => this.client.close());
  }

  protected async insertRows(rows: TableRows, settings: Record<string, string>): Promise<void> {
    await this.run({ sql: insertStatement(rows), data: rows.rows, settings });
  }

  private async run(request: StatementRequest, extraSettings: ClickHouseSettings = {}): Promise<StatementResult> {
    const settings: ClickHouseSettings = { ...extraSettings, ...(request.settings as ClickHouseSettings) };
    if (request.format !== undefined && request.data === undefined) settings.default_format = request.format as ClickHouseSettings['default_format'];
    // The server checks every setting of a request against the user's profile before
    // applying any, so readonly=1 can be sent together with the others.
    if (request.readOnly) settings.readonly = '1';
    const params = {
      query: request.sql,
      query_params: request.params,
      clickhouse_settings: settings,
    };
    const result =
      request.data === undefined
        ? await this.client.exec(params)
        : await this.client.exec({ ...params, values: Readable.from([request.data], { objectMode: false }) });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as Buffer);
    const summary = result.summary;
    return {
      body: Buffer.concat(chunks),
      rowsRead: Number(summary?.read_rows ?? 0),
      bytesRead: Number(summary?.read_bytes ?? 0),
      rowsWritten: Number(summary?.written_rows ?? 0),
      bytesWritten: Number(summary?.written_bytes ?? 0),
      elapsedNs: Number(summary?.elapsed_ns ?? 0),
    };
  }
}

/** Rebuilds ClickHouse's own error text from the client's parsed error. */
function toStoreError(err: unknown): unknown {
  if (err instanceof ClickHouseError) {
    const code = Number(err.code);
    return new StoreQueryError(`Code: ${code}. DB::Exception: ${err.message.trimEnd()} (${err.type})`, code);
  }
  return err;
}
