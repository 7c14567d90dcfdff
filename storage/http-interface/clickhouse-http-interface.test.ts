import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../chdb/chdb-store.ts';
import { ClickHouseServerStore } from '../clickhouse/clickhouse-server-store.ts';
import { makeSpan } from '../fixtures.ts';
import { loadMigrations } from '../migrate.ts';
import { StoreQueryError } from '../store.ts';
import { ClickHouseHttpInterface } from './clickhouse-http-interface.ts';

// One chdb store for the file (one data directory per process), served twice: with
// writes enabled (to migrate and insert through the ClickHouse client) and read-only.
const root = mkdtempSync(join(tmpdir(), 'flowtrace-chhttp-'));
const chdb = new ChdbStore({ dataDir: join(root, 'data') });
const writable = new ClickHouseHttpInterface(chdb, { port: 0, readonly: false });
const readonly = new ClickHouseHttpInterface(chdb, { port: 0 });
const guarded = new ClickHouseHttpInterface(chdb, { port: 0, auth: { username: 'grafana', password: 's3cret' } });
let writableUrl: string;
let readonlyUrl: string;
let guardedUrl: string;
let server: ClickHouseServerStore;
let reader: ClickHouseServerStore;

beforeAll(async () => {
  writableUrl = (await writable.start()).url;
  readonlyUrl = (await readonly.start()).url;
  guardedUrl = (await guarded.start()).url;
  server = new ClickHouseServerStore({ url: writableUrl });
  reader = new ClickHouseServerStore({ url: readonlyUrl });
});
afterAll(async () => {
  await Promise.all([server?.close(), reader?.close()]);
  await Promise.all([writable.stop(), readonly.stop(), guarded.stop()]);
  await chdb.close();
  rmSync(root, { recursive: true, force: true });
});

const count = async (store: { query(sql: string): Promise<string> }, sql: string) => Number(JSON.parse(await store.query(sql)).n);

describe('ClickHouseServerStore through the HTTP interface', () => {
  it('migrates the schema, idempotently', async () => {
    await server.migrate();
    await server.migrate();
    expect(await count(server, 'SELECT count() AS n FROM schema_migrations')).toBe(loadMigrations().length);
    expect(await count(chdb, "SELECT count() AS n FROM system.tables WHERE database = 'default' AND name IN ('otel_traces', 'span_facts', 'runs')")).toBe(3);
  });

  it('inserts a batch once per dedup token', async () => {
    const run = { ...makeSpan().run, runId: 'http-run' };
    const spans = Array.from({ length: 20 }, () => makeSpan({ run }));
    const totals = async () => ({
      facts: await count(server, "SELECT count() AS n FROM span_facts WHERE RunId = 'http-run'"),
      traces: await count(chdb, `SELECT count() AS n FROM otel_traces WHERE TraceId IN (${spans.map((s) => `'${s.traceId}'`).join(',')})`),
      cost: JSON.parse(await server.query("SELECT toString(sum(CostUsd)) AS c FROM span_facts WHERE RunId = 'http-run'")).c,
    });
    await server.insertSpans(spans, 'http-batch');
    const first = await totals();
    expect(first).toEqual({ facts: 20, traces: 20, cost: (0.00036 * 20).toFixed(4) });
    await server.insertSpans(spans, 'http-batch');
    expect(await totals()).toEqual(first);
  });

  it('refuses writes through the read-only interface with ClickHouse errors', async () => {
    await expect(reader.insertSpans([makeSpan()], 'refused')).rejects.toMatchObject({ code: 164 });
    const drop = reader.execute({ sql: 'DROP TABLE span_facts' });
    await expect(drop).rejects.toBeInstanceOf(StoreQueryError);
    await expect(drop).rejects.toThrow(
      'Code: 164. DB::Exception: Cannot execute query in readonly mode: DROP TABLE statements are not allowed: SQL here is read-only',
    );
    expect(await count(reader, "SELECT count() AS n FROM span_facts WHERE RunId = 'http-run'")).toBe(20);
  });

  it('serves @clickhouse/client queries with a FORMAT clause, parameters and settings', async () => {
    const client = createClient({ url: readonlyUrl, compression: { response: true, request: true } });
    try {
      const rows = await client.query({
        query: 'SELECT RunId, count() AS n FROM span_facts WHERE RunId = {run:String} GROUP BY RunId',
        query_params: { run: 'http-run' },
        format: 'JSONEachRow',
        clickhouse_settings: { max_execution_time: 30, output_format_json_quote_64bit_integers: 1 },
      });
      expect(await rows.json()).toEqual([{ RunId: 'http-run', n: '20' }]);
      expect((await client.ping()).success).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('ClickHouse HTTP protocol', () => {
  it('answers /ping and a bare GET with Ok.', async () => {
    for (const path of ['/ping', '/']) {
      const res = await fetch(`${readonlyUrl}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('Ok.\n');
    }
  });

  it('runs GET ?query= as TabSeparated with X-ClickHouse headers', async () => {
    const res = await fetch(`${readonlyUrl}/?query=${encodeURIComponent('SELECT number, toString(number) FROM numbers(2)')}&query_id=q-1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('0\t0\n1\t1\n');
    expect(res.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(res.headers.get('x-clickhouse-query-id')).toBe('q-1');
    expect(res.headers.get('content-type')).toBe('text/tab-separated-values; charset=UTF-8');
    const summary = JSON.parse(res.headers.get('x-clickhouse-summary')!);
    expect(summary).toMatchObject({ read_rows: '2', written_rows: '0', result_bytes: String('0\t0\n1\t1\n'.length) });
  });

  it('prefers the FORMAT clause over default_format, and joins the query parameter with the body', async () => {
    const clause = await fetch(`${readonlyUrl}/?default_format=CSV`, { method: 'POST', body: 'SELECT 1 AS a FORMAT JSONEachRow' });
    expect(clause.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(await clause.text()).toBe('{"a":1}\n');
    const byDefault = await fetch(`${readonlyUrl}/?default_format=CSVWithNames`, { method: 'POST', body: "SELECT 1 AS a, 'x' AS b" });
    expect(byDefault.headers.get('content-type')).toBe('text/csv; charset=UTF-8; header=present');
    expect(await byDefault.text()).toBe('"a","b"\n1,"x"\n');
    const joined = await fetch(`${readonlyUrl}/?query=${encodeURIComponent('SELECT 40 +')}`, { method: 'POST', body: '2' });
    expect(await joined.text()).toBe('42\n');
  });

  it('compresses responses when asked and reads compressed bodies', async () => {
    const res = await fetch(`${readonlyUrl}/?enable_http_compression=1`, {
      method: 'POST',
      body: gzipSync('SELECT repeat(\'x\', 1000)'),
      headers: { 'Content-Encoding': 'gzip', 'Accept-Encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    // fetch decodes transparently; the header says the server compressed.
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toBe(`${'x'.repeat(1000)}\n`);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(`${readonlyUrl}/?enable_http_compression=1&query=SELECT%201`, { headers: { 'Accept-Encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('error', reject);
        req.end();
      });
    });
    expect(gunzipSync(raw).toString()).toBe('1\n');
  });

  it.each([
    ['/?query=SELECT%20*%20FROM%20no_such_table', 404, 60, /^Code: 60\. DB::Exception: .*no_such_table.*\(UNKNOWN_TABLE\)/],
    ['/?query=SELEC%201', 400, 62, /^Code: 62\. DB::Exception: SELEC does not start a statement SQL here accepts/],
    ['/?query=SELECT%201%3B%20SELECT%202', 400, 62, /^Code: 62\. DB::Exception: only one statement per query is allowed, found 2\. \(SYNTAX_ERROR\)/],
    ['/?query=SELECT%20*%20FROM%20system.settings', 403, 497, /^Code: 497\. DB::Exception: system\.settings is not allowed: system tables are not exposed here\. \(ACCESS_DENIED\)/],
    ['/?query=SELECT%201&database=other', 404, 81, /^Code: 81\. DB::Exception: Database other does not exist\. \(UNKNOWN_DATABASE\)/],
    ['/?query=SELECT%201&no_such_setting=1', 404, 115, /^Code: 115\. DB::Exception: .*no_such_setting/],
    ['/?query=SELECT%201&compress=1', 501, 48, /\(NOT_IMPLEMENTED\)/],
    ['/nowhere', 404, 78, /^Code: 78\. DB::Exception: There is no handle \/nowhere/],
  ])('answers %s with HTTP %i and Code: %i', async (path, status, code, text) => {
    const res = await fetch(`${readonlyUrl}${path}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe(String(code));
    expect(await res.text()).toMatch(text);
  });

  it('accepts the settings Grafana sends and allows its schema queries', async () => {
    const res = await fetch(`${readonlyUrl}/?max_execution_time=60&default_format=JSONEachRow`, {
      method: 'POST',
      body: "SELECT name, type FROM system.columns WHERE database = 'default' AND table = 'llm_calls' AND name = 'CostUsd'",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"name":"CostUsd","type":"Nullable(Decimal(38, 12))"}\n');
  });

  it('checks credentials when configured', async () => {
    const denied = await fetch(`${guardedUrl}/?query=SELECT%201`, { headers: { Authorization: `Basic ${Buffer.from('grafana:wrong').toString('base64')}` } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toMatch(/^Code: 516\. DB::Exception: grafana: Authentication failed/);
    const allowed = await fetch(`${guardedUrl}/?query=SELECT%201`, { headers: { 'X-ClickHouse-User': 'grafana', 'X-ClickHouse-Key': 's3cret' } });
    expect(await allowed.text()).toBe('1\n');
  });

  it('accepts INSERT with the rows in the body when writable', async () => {
    const body = 'INSERT INTO span_facts (RunId, SpanId) FORMAT JSONEachRow\n{"RunId":"curl-run","SpanId":"1"}\n';
    const res = await fetch(`${writableUrl}/`, { method: 'POST', body });
    expect(res.status).toBe(200);
    // The span, and its run's row in run_totals that the materialized view writes.
    expect(JSON.parse(res.headers.get('x-clickhouse-summary')!).written_rows).toBe('2');
    expect(await count(chdb, "SELECT count() AS n FROM span_facts WHERE RunId = 'curl-run'")).toBe(1);
    const refused = await fetch(`${readonlyUrl}/`, { method: 'POST', body });
    expect(refused.status).toBe(500);
    expect(await refused.text()).toMatch(/^Code: 164\. DB::Exception: Cannot execute query in readonly mode: INSERT statements are not allowed/);
  });

  it('keeps serving after a malformed request', async () => {
    const bad = await fetch(`${readonlyUrl}/`, { method: 'POST', body: Buffer.from([0x1f, 0x8b, 0, 1, 2]), headers: { 'Content-Encoding': 'gzip' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^Code: 27\. DB::Exception: cannot read the request body/);
    expect(await (await fetch(`${readonlyUrl}/?query=SELECT%202`)).text()).toBe('2\n');
  });
});
