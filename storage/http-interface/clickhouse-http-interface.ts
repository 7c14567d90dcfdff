// The ClickHouse HTTP protocol over any SpanStore, so ClickHouse clients (the
// @clickhouse/client package, Grafana's ClickHouse data source, curl) can query the
// embedded engine, which has no server of its own. It follows clickhouse-server's HTTP
// handler: the query from the `query` parameter and/or the body, FORMAT clause over
// `default_format`, settings as URL parameters, `{name:Type}` values as `param_<name>`,
// `X-ClickHouse-*` response headers, and errors as `Code: N. DB::Exception: …` with the
// server's status codes. Read-only by default: writes and system tables are refused
// before the engine sees them, and reads run with the engine's `readonly = 1`.
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import express from 'express';
import { z } from 'zod';
import { HttpServerHandle } from '../../core/http-server.ts';
import { assertReadOnly, inspectStatement, ReadOnlyViolation, type StatementInfo } from '../sql-guard.ts';
import { StoreQueryError, type SpanStore, type StatementResult } from '../store.ts';
import { ClickHouseException, exceptionText, httpStatusFor } from './exceptions.ts';
import { nativeForRevision, NativeFormatError } from './native-revision.ts';

export const ClickHouseHttpInterfaceConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8123),
    /** Refuse writes (the default). `false` lets clients insert and run DDL — for tests and tools. */
    readonly: z.boolean().default(true),
    /** What of `system.*` clients may read: nothing, the schema tables (Grafana's query builder needs them), or all. */
    systemTables: z.enum(['refuse', 'schema', 'allow']).default('schema'),
    /** The database name clients may ask for; the store answers for one database. */
    database: z.string().min(1).default('default'),
    /** When set, requests must carry these credentials (URL, X-ClickHouse-User/Key or Basic auth). */
    auth: z.object({ username: z.string().min(1), password: z.string() }).strict().optional(),
    maxBodyBytes: z.number().int().positive().default(64 * 1024 * 1024),
  })
  .strict();

export type ClickHouseHttpInterfaceConfig = z.input<typeof ClickHouseHttpInterfaceConfigSchema>;
type ResolvedConfig = z.output<typeof ClickHouseHttpInterfaceConfigSchema>;

/**
 * URL parameters that belong to the HTTP layer (or are handled here) rather than being
 * query settings. Everything else is passed to the engine as a setting, which rejects
 * unknown names itself.
 */
const HTTP_PARAMS = new Set([
  'query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check', 'user', 'password',
  'quota_key', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query', 'client_protocol_version', 'role', 'readonly',
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms',
  'http_wait_end_of_query', 'http_response_buffer_size', 'cancel_http_readonly_queries_on_client_close', 'add_http_cors_header',
  'http_native_compression_disable_checksumming_on_decompress',
]);

const ENGINE_VERSION = '26.7.2.1';

const compressors: Record<string, (body: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gzip),
  deflate: promisify(zlib.deflate),
  br: promisify(zlib.brotliCompress),
};

interface ParsedRequest {
  sql: string;
  data?: Buffer;
  params: Record<string, string>;
  settings: Record<string, string>;
  format: string;
  info: StatementInfo;
  readOnly: boolean;
}

export class ClickHouseHttpInterface {
  private readonly config: ResolvedConfig;
  private readonly server = new HttpServerHandle('the ClickHouse HTTP interface');

  constructor(
    private readonly store: SpanStore,
    config: ClickHouseHttpInterfaceConfig = {},
  ) {
    this.config = ClickHouseHttpInterfaceConfigSchema.parse(config);
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async start(): Promise<{ host: string; port: number; url: string }> {
    const { host, port, url } = await this.server.start(this.app(), this.config);
    return { host, port, url };
  }

  /** Stops accepting connections and resolves once the requests in flight are answered. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.get(['/ping', '/replicas_status'], (_req, res) => {
      res.type('text/plain; charset=UTF-8').send('Ok.\n');
    });
    app.all(
      '/',
      express.raw({ type: () => true, limit: this.config.maxBodyBytes }),
      (req, res) => void this.handle(req, res),
    );
    app.use((req: express.Request, res: express.Response) => {
      sendException(res, new ClickHouseException(`There is no handle ${req.path}. Use / for queries or /ping for health checks.`, 'UNKNOWN_TYPE_OF_QUERY', 404));
    });
    app.use((err: { status?: number; type?: string; message?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      sendException(res, bodyError(err));
    });
    return app;
  }

  private async handle(req: express.Request, res: express.Response): Promise<void> {
    const url = new URL(req.originalUrl, 'http://localhost');
    const search = url.searchParams;
    const queryId = search.get('query_id') || randomUUID();
    res.setHeader('X-ClickHouse-Query-Id', queryId);
    res.setHeader('X-ClickHouse-Server-Display-Name', 'flowtrace');
    try {
      this.authenticate(req, search);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (req.method === 'GET' && !search.has('query') && body.length === 0) {
        res.type('text/plain; charset=UTF-8').send('Ok.\n');
        return;
      }
      const request = this.parse(req, search, body);
      const started = process.hrtime.bigint();
      const result = await this.store.execute({
        sql: request.sql,
        data: request.data,
        format: request.format,
        settings: request.settings,
        params: request.params,
        readOnly: request.readOnly,
      });
      await this.respond(req, res, search, request, result, Number(process.hrtime.bigint() - started));
    } catch (err) {
      sendException(res, toException(err));
    }
  }

  private authenticate(req: express.Request, search: URLSearchParams): void {
    const expected = this.config.auth;
    if (!expected) return;
    const basic = /^Basic (.+)$/i.exec(req.get('authorization') ?? '');
    const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : undefined;
    const user = search.get('user') ?? req.get('x-clickhouse-user') ?? decoded?.slice(0, decoded.indexOf(':')) ?? 'default';
    const password = search.get('password') ?? req.get('x-clickhouse-key') ?? (decoded?.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : '');
    if (user !== expected.username || password !== expected.password) {
      throw new ClickHouseException(`${user}: Authentication failed: password is incorrect, or there is no user with such name.`, 'AUTHENTICATION_FAILED', 403);
    }
  }

  private parse(req: express.Request, search: URLSearchParams, body: Buffer): ParsedRequest {
    if (search.get('compress') === '1' || search.get('decompress') === '1') {
      throw new ClickHouseException(
        'compress=1/decompress=1 (ClickHouse native compression) is not supported here; use HTTP compression (Accept-Encoding or Content-Encoding: gzip).',
        'NOT_IMPLEMENTED',
      );
    }
    if (req.is('multipart/form-data')) {
      throw new ClickHouseException('multipart requests (external tables, multipart query parameters) are not supported here.', 'NOT_IMPLEMENTED');
    }
    const database = search.get('database') ?? req.get('x-clickhouse-database');
    if (database && database !== this.config.database) {
      throw new ClickHouseException(`Database ${database} does not exist.`, 'UNKNOWN_DATABASE');
    }
    const { sql, data } = splitQuery(search.get('query'), body);
    const info = inspect(sql);
    const readOnly = this.config.readonly || req.method === 'GET' || ['1', '2'].includes(search.get('readonly') ?? '');
    if (readOnly) guard(sql, this.config.systemTables);
    if (data !== undefined && info.kind !== 'INSERT') {
      throw new ClickHouseException(`a request body after the query is only accepted for INSERT, not ${info.kind}`, 'BAD_ARGUMENTS');
    }
    const params: Record<string, string> = {};
    const settings: Record<string, string> = {};
    for (const [name, value] of search) {
      if (name.startsWith('param_')) params[name.slice(6)] = unescapeParam(value);
      else if (!HTTP_PARAMS.has(name)) settings[name] = value;
    }
    const format = info.format ?? search.get('default_format') ?? req.get('x-clickhouse-format') ?? 'TabSeparated';
    return { sql, data, params, settings, format, info, readOnly };
  }

  private async respond(
    req: express.Request,
    res: express.Response,
    search: URLSearchParams,
    request: ParsedRequest,
    result: StatementResult,
    elapsedNs: number,
  ): Promise<void> {
    let body = result.body;
    const revision = Number(search.get('client_protocol_version') ?? 0);
    if (/^native$/i.test(request.format) && revision > 0) body = nativeForRevision(body, revision);
    res.setHeader('X-ClickHouse-Format', request.format);
    res.setHeader('X-ClickHouse-Timezone', 'UTC');
    res.setHeader(
      'X-ClickHouse-Summary',
      JSON.stringify({
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: String(result.rowsWritten),
        written_bytes: String(result.bytesWritten),
        total_rows_to_read: String(result.rowsRead),
        result_bytes: String(body.length),
        elapsed_ns: String(result.elapsedNs || elapsedNs),
      }),
    );
    res.setHeader('Content-Type', request.data !== undefined || body.length === 0 ? 'text/plain; charset=UTF-8' : contentType(request.format));
    const encoding = search.get('enable_http_compression') === '1' ? acceptedEncoding(req.get('accept-encoding')) : undefined;
    if (encoding) {
      body = await compressors[encoding]!(body);
      res.setHeader('Content-Encoding', encoding);
    }
    res.status(200).end(body);
  }
}

/** The statement and, for `INSERT … FORMAT x` followed by rows, the rows. */
function splitQuery(queryParam: string | null, body: Buffer): { sql: string; data?: Buffer } {
  if (queryParam !== null) {
    if (body.length === 0) return { sql: queryParam };
    // The parameter is the start of the query and the body its rest — or, for an
    // INSERT whose parameter ends with its FORMAT clause, the rows.
    if (/^\s*INSERT\b[\s\S]*\bFORMAT\s+\w+\s*$/i.test(queryParam)) return { sql: queryParam, data: body };
    return { sql: `${queryParam}\n${body.toString('utf8')}` };
  }
  const head = body.subarray(0, 64 * 1024).toString('utf8');
  const insert = /^\s*INSERT\b[^\n]*?\bFORMAT\s+\w+[ \t]*(?:\r?\n|$)/i.exec(head);
  if (insert) {
    const data = body.subarray(Buffer.byteLength(insert[0]));
    return data.length > 0 ? { sql: insert[0].trim(), data } : { sql: insert[0].trim() };
  }
  return { sql: body.toString('utf8') };
}

function inspect(sql: string): StatementInfo {
  try {
    return inspectStatement(sql);
  } catch (err) {
    throw toException(err);
  }
}

function guard(sql: string, systemTables: ResolvedConfig['systemTables']): void {
  try {
    assertReadOnly(sql, { systemTables });
  } catch (err) {
    throw toException(err);
  }
}

const PARAM_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', a: '\x07', v: '\v', e: '\x1b' };

/** `param_<name>` values are in ClickHouse's escaped text form (as in TabSeparated). */
function unescapeParam(value: string): string {
  return value.replace(/\\(.)/gs, (_m, ch: string) => PARAM_ESCAPES[ch] ?? ch);
}

function acceptedEncoding(header: string | undefined): string | undefined {
  const offered = (header ?? '').split(',').map((part) => part.trim().split(';')[0]!.toLowerCase());
  return ['gzip', 'br', 'deflate'].find((encoding) => offered.includes(encoding));
}

function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json') || f === 'ndjson' || f === 'jsonl') return 'application/json; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('pretty') || f === 'vertical' || f === 'markdown' || f === 'values' || f === 'xml') return 'text/plain; charset=UTF-8';
  return 'application/octet-stream';
}

function toException(err: unknown): ClickHouseException {
  if (err instanceof ClickHouseException) return err;
  if (err instanceof ReadOnlyViolation) {
    if (err.reason === 'syntax') return new ClickHouseException(err.message, 'SYNTAX_ERROR');
    if (err.reason === 'write') return new ClickHouseException(`Cannot execute query in readonly mode: ${err.message}`, 'READONLY');
    return new ClickHouseException(err.message, 'ACCESS_DENIED');
  }
  if (err instanceof StoreQueryError) return ClickHouseException.fromEngine(err.message, err.code);
  if (err instanceof NativeFormatError) return new ClickHouseException(err.message, 'NOT_IMPLEMENTED');
  return new ClickHouseException(err instanceof Error ? err.message : String(err), 'STD_EXCEPTION');
}

function bodyError(err: { status?: number; type?: string; message?: string }): ClickHouseException {
  if (err.type === 'entity.too.large') return new ClickHouseException(`the request body is larger than the configured limit: ${err.message}`, 'QUERY_IS_TOO_LARGE');
  if (err.type === 'encoding.unsupported') return new ClickHouseException(err.message ?? 'unsupported content encoding', 'UNSUPPORTED_MEDIA_TYPE');
  return new ClickHouseException(`cannot read the request body: ${err.message ?? 'unknown error'}`, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED');
}

function sendException(res: express.Response, exception: ClickHouseException): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.setHeader('X-ClickHouse-Exception-Code', String(exception.code));
  res
    .status(exception.httpStatus ?? httpStatusFor(exception.code))
    .type('text/plain; charset=UTF-8')
    .send(`${exceptionText(exception, ENGINE_VERSION)}\n`);
}
