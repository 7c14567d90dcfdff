// Grafana's ClickHouse data source talks to the HTTP interface through clickhouse-go,
// which asks for the Native format with a client_protocol_version. This builds a small
// program with that driver (testdata/clickhouse-go-probe, pinned to the version the
// data source uses) and checks it decodes what the interface sends.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../chdb/chdb-store.ts';
import { makeSpan } from '../fixtures.ts';
import { ClickHouseHttpInterface } from './clickhouse-http-interface.ts';

const run = promisify(execFile);
const probeDir = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'clickhouse-go-probe');
const hasGo = await run('go', ['version']).then(
  () => true,
  () => false,
);

interface ProbeResult {
  columns: string[] | null;
  types: string[] | null;
  count: number;
  rows?: unknown[][];
  error?: string;
}

describe.skipIf(!hasGo)('clickhouse-go (Grafana ClickHouse data source driver) over the HTTP interface', () => {
  const root = mkdtempSync(join(tmpdir(), 'flowtrace-chgo-'));
  const store = new ChdbStore({ dataDir: join(root, 'data') });
  const httpInterface = new ClickHouseHttpInterface(store, { port: 0 });
  const probe = join(root, 'probe');
  let address: string;

  beforeAll(async () => {
    await run('go', ['build', '-o', probe, '.'], { cwd: probeDir, timeout: 600_000 });
    await store.migrate();
    await store.insertSpans(
      [
        makeSpan({ events: [{ timeUnixNano: 5n, name: 'flowtrace.retry', attributes: { 'flowtrace.attempt': '2' } }] }),
        makeSpan({ cost: undefined, links: [{ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceState: '', attributes: {} }] }),
      ],
      'go-probe',
    );
    const { host, port } = await httpInterface.start();
    address = `${host}:${port}`;
  }, 660_000);

  afterAll(async () => {
    await httpInterface.stop();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const probeQueries = async (...queries: string[]): Promise<ProbeResult[]> => {
    const { stdout } = await run(probe, [address, ...queries], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    return JSON.parse(stdout) as ProbeResult[];
  };
  const engineRows = async (sql: string): Promise<unknown[][]> =>
    (await store.query(`${sql} FORMAT JSONCompactEachRow SETTINGS output_format_json_quote_64bit_integers = 1`))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as unknown[]);

  it('decodes otel_traces rows: DateTime64, maps, nested arrays, LowCardinality', async () => {
    const [result] = await probeQueries(
      'SELECT TraceId, Timestamp, Duration, SpanAttributes, Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, ServiceName FROM otel_traces ORDER BY SpanId',
    );
    expect(result!.error).toBeUndefined();
    expect(result!.types).toEqual([
      'String', 'DateTime64(9)', 'UInt64', 'Map(LowCardinality(String), String)', 'Array(DateTime64(9))',
      'Array(LowCardinality(String))', 'Array(Map(LowCardinality(String), String))', 'Array(String)', 'LowCardinality(String)',
    ]);
    expect(result!.rows).toEqual(
      await engineRows(
        `SELECT TraceId, toString(toUnixTimestamp64Nano(Timestamp)), toString(Duration), SpanAttributes,
                arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp), Events.Name, Events.Attributes, Links.TraceId, ServiceName
         FROM otel_traces ORDER BY SpanId`,
      ),
    );
  });

  it('decodes span_facts and the runs view: decimals, nullable, small integers', async () => {
    const [facts, runs] = await probeQueries('SELECT RunId, Role, InputTokens, CostUsd, Attempt, CacheHit FROM span_facts ORDER BY SpanId', 'SELECT RunId, LlmCalls, CostUsd FROM runs');
    expect(facts!.rows).toEqual(
      (await engineRows('SELECT RunId, Role, toString(InputTokens), toString(CostUsd), Attempt, CacheHit FROM span_facts ORDER BY SpanId')).map((row) =>
        row.map((v, i) => (i === 3 && typeof v === 'string' ? String(Number(v)) : v)),
      ),
    );
    expect(runs!.rows).toEqual([['run-1', '2', '0.00036']]);
  });

  it('decodes results of many blocks, with LowCardinality dictionaries per block', async () => {
    const [result] = await probeQueries('SELECT number, toLowCardinality(toString(number % 7)) AS r FROM numbers(300000)');
    expect(result!.error).toBeUndefined();
    expect(result!.count).toBe(300_000);
    expect(result!.rows!.slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => [String(n), String(n % 7)]));
  });

  it('decodes NULL, tuples, enums, UUIDs, dates and LowCardinality(Nullable)', async () => {
    const [result] = await probeQueries(
      "SELECT NULL AS n, toNullable('x') AS s, [1, 2] AS a, tuple(1, 'a') AS t, toLowCardinality(toNullable('q')) AS lc, " +
        "CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e, toDate('2026-01-02') AS d, toFloat32(1.5) AS f, map('k', [1]) AS m",
    );
    expect(result!.error).toBeUndefined();
    expect(result!.rows).toEqual([[null, 'x', [1, 2], [1, 'a'], 'q', 'b', String(Date.UTC(2026, 0, 2) * 1e6), 1.5, { k: [1] }]]);
  });

  it('returns no rows for an empty result', async () => {
    const [result] = await probeQueries('SELECT * FROM span_facts WHERE 0');
    expect(result!.error).toBeUndefined();
    expect(result!.count).toBe(0);
  });
});
