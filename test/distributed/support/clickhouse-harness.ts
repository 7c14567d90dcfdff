// Starts clickhouse-harness-main.ts as a child process and talks to it: SQL over its
// ClickHouse HTTP interface, inserts refused or accepted through its control endpoint.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgetOnExit, ManagedProcess, removeOnExit, waitUntilReady } from '../../support/process.ts';
import { REPO_ROOT } from '../../support/real-components.ts';

const MAIN = fileURLToPath(new URL('./clickhouse-harness-main.ts', import.meta.url));

export interface ClickHouseHarness {
  /** The ClickHouse HTTP URL for FLOWTRACE_CLICKHOUSE_URL. */
  readonly url: string;
  /** Runs SQL and returns JSONEachRow rows. */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** While true, every INSERT fails with a ClickHouse error. */
  refuseInserts(refuse: boolean): Promise<void>;
  /** INSERT requests refused so far. */
  refusedInserts(): Promise<number>;
  stop(): Promise<void>;
}

export async function startClickHouseHarness(): Promise<ClickHouseHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'flowtrace-clickhouse-harness-'));
  removeOnExit(dir);
  const logFile = join(dir, 'harness.log');
  const proc = await ManagedProcess.start({
    name: 'clickhouse harness',
    command: process.execPath,
    args: ['--import', 'tsx', MAIN, join(dir, 'data')],
    logFile,
    cwd: REPO_ROOT,
  });
  let ready: { url: string; controlUrl: string } | undefined;
  await waitUntilReady(
    proc,
    async () => {
      const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('{"ready":true'));
      if (line) ready = JSON.parse(line);
      return ready !== undefined;
    },
    60_000,
    'serving ClickHouse HTTP',
  );
  const { url, controlUrl } = ready!;

  const control = async (path: string, method = 'POST') => {
    const response = await fetch(`${controlUrl}${path}`, { method });
    if (!response.ok) throw new Error(`harness ${path}: HTTP ${response.status}`);
    return (await response.json()) as { refused: number };
  };

  return {
    url,
    async query<T>(sql: string): Promise<T[]> {
      const response = await fetch(`${url}/?default_format=JSONEachRow&output_format_json_quote_64bit_integers=0`, { method: 'POST', body: sql });
      const text = await response.text();
      if (!response.ok) throw new Error(`query failed (${response.status}): ${text}\n${sql}`);
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
    },
    refuseInserts: async (refuse) => void (await control(refuse ? '/inserts/refuse' : '/inserts/accept')),
    refusedInserts: async () => (await control('/state', 'GET')).refused,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
      forgetOnExit(dir);
    },
  };
}
