// `flowtrace up` as a child process for end-to-end tests: real CLI, real engine, real
// ports (chosen by the OS), found through the server.json record the server writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLiveServerInfo, type ServerInfo } from '../../storage/server-info.ts';
import { ManagedProcess, removeOnExit, waitUntilReady } from './process.ts';
import { REPO_ROOT } from './real-components.ts';

export interface RunningUp {
  readonly home: string;
  readonly info: ServerInfo;
  readonly proc: ManagedProcess;
  /** Runs SQL through the server's ClickHouse HTTP interface; returns JSONEachRow rows. */
  sql<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** POSTs an OTLP request body to /v1/traces. */
  postTraces(body: Uint8Array, contentType?: string): Promise<Response>;
}

export function tempHome(prefix = 'flowtrace-e2e-'): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  removeOnExit(home);
  return home;
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Starts `flowtrace up` on `home` with free ports and waits until it serves. */
export async function startUp(home: string, env: NodeJS.ProcessEnv = {}): Promise<RunningUp> {
  const proc = await ManagedProcess.start({
    name: 'flowtrace up',
    command: process.execPath,
    args: [join(REPO_ROOT, 'bin/flowtrace.js'), 'up', '--home', home, '--otlp-port', '0', '--api-port', '0', '--clickhouse-port', '0'],
    logFile: join(home, `up-${Date.now()}.log`),
    env: { ...process.env, ...env },
    cwd: REPO_ROOT,
  });
  let info: ServerInfo | undefined;
  await waitUntilReady(proc, async () => (info = await readLiveServerInfo(join(home, 'data'))) !== undefined && info.pid === proc.pid, 60_000, 'serving');
  const live = info!;
  return {
    home,
    info: live,
    proc,
    async sql<T>(query: string): Promise<T[]> {
      const res = await fetch(`${live.clickhouseHttp}/?default_format=JSONEachRow`, { method: 'POST', body: query });
      const text = await res.text();
      if (!res.ok) throw new Error(`SQL failed (${res.status}): ${text}`);
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as T);
    },
    postTraces(body, contentType = 'application/x-protobuf') {
      return fetch(`${live.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
    },
  };
}
