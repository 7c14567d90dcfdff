import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import { makeSpan } from '../../storage/fixtures.ts';
import { ClickHouseHttpInterface } from '../../storage/http-interface/clickhouse-http-interface.ts';
import { removeServerInfo, writeServerInfo } from '../../storage/server-info.ts';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'flowtrace.js');
const root = mkdtempSync(join(tmpdir(), 'flowtrace-sqlcli-'));
const home = join(root, '.flowtrace');
const dataDir = join(home, 'data');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function flowtrace(...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, FLOWTRACE_HOME: home };
  delete env.FLOWTRACE_CLICKHOUSE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const run = { ...makeSpan().run, runId: 'cli-run' };
const spans = [makeSpan({ run }), makeSpan({ run, cost: { usd: '0.5', status: 'priced', priceRef: 'p', reason: '', savedUsd: null } })];

beforeAll(async () => {
  // Seed the data directory, then release it: the CLI opens it in its own process.
  const store = new ChdbStore({ dataDir });
  await store.migrate();
  await store.insertSpans(spans, 'cli-seed');
  await store.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('flowtrace sql on the data directory', () => {
  it('prints a table by default', async () => {
    const result = await flowtrace('sql', "SELECT RunId, LlmCalls, toString(CostUsd) AS Cost FROM runs WHERE RunId = 'cli-run'");
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^\s*┌─RunId───┬─LlmCalls─┬─Cost────┐$/);
    // 0.5 + 0.00036 (the fixture's cost), trailing zeros dropped by toString.
    expect(lines[1]).toMatch(/^1\. │ cli-run │ +2 │ 0\.50036 │$/);
  });

  it('prints JSON rows and CSV with a header', async () => {
    const json = await flowtrace('sql', "SELECT SpanId, InputTokens FROM llm_calls WHERE RunId = 'cli-run' ORDER BY SpanId", '--format', 'json');
    expect(json.code).toBe(0);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(spans.map((s) => ({ SpanId: s.spanId, InputTokens: 1200 })));
    const csv = await flowtrace('sql', "SELECT RunId, count() AS n FROM span_facts WHERE RunId = 'cli-run' GROUP BY RunId", '-f', 'csv', '--data-dir', dataDir);
    expect(csv.stdout).toBe('"RunId","n"\n"cli-run",2\n');
  });

  it('refuses anything but one read with one line on stderr and exit code 2', async () => {
    const drop = await flowtrace('sql', 'DROP TABLE runs');
    expect(drop).toEqual({
      code: 2,
      stdout: '',
      stderr: 'flowtrace sql: refused: DROP TABLE statements are not allowed: SQL here is read-only (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS)\n',
    });
    const several = await flowtrace('sql', 'SELECT 1; SELECT 2');
    expect(several.code).toBe(2);
    expect(several.stderr).toBe('flowtrace sql: refused: only one statement per query is allowed, found 2\n');
  });

  it('reports a failing query on one line with exit code 1', async () => {
    const result = await flowtrace('sql', 'SELECT * FROM no_such_table');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^flowtrace sql: Code: 60\. DB::Exception: .*no_such_table.*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('says where it looked when there is no data', async () => {
    const result = await flowtrace('sql', 'SELECT 1', '--data-dir', join(root, 'missing'));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`flowtrace: no FlowTrace data at ${join(root, 'missing')}; start \`flowtrace up\` or pass --data-dir\n`);
  });
});

describe('flowtrace sql with a running server', () => {
  it('goes through the server when one serves the data directory', async () => {
    // This process now holds the data directory, so the CLI can only answer through HTTP.
    const store = new ChdbStore({ dataDir });
    const httpInterface = new ClickHouseHttpInterface(store, { port: 0 });
    const { url } = await httpInterface.start();
    writeServerInfo(dataDir, { clickhouseHttp: url });
    try {
      const result = await flowtrace('sql', "SELECT count() AS n FROM span_facts WHERE RunId = 'cli-run'", '--format', 'json');
      expect(result).toEqual({ code: 0, stdout: '{"n":2}\n', stderr: '' });
      const refused = await flowtrace('sql', 'SELECT * FROM system.query_log');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^flowtrace sql: Code: 497\. DB::Exception: system\.query_log is not allowed/);
    } finally {
      await httpInterface.stop();
      await store.close();
    }
    // The record is stale now (nothing answers /ping): the CLI opens the directory itself.
    const fallback = await flowtrace('sql', "SELECT count() AS n FROM span_facts WHERE RunId = 'cli-run'", '--format', 'json');
    expect(fallback).toEqual({ code: 0, stdout: '{"n":2}\n', stderr: '' });
    removeServerInfo(dataDir);
  });
});
