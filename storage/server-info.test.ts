import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeGracefully, listen } from '../core/http-server.ts';
import { readLiveServerInfo, removeServerInfo, serverInfoPath, writeServerInfo } from './server-info.ts';

const home = mkdtempSync(join(tmpdir(), 'flowtrace-serverinfo-'));
const dataDir = join(home, 'data');
let pingServer: Server;
let url: string;

beforeAll(async () => {
  // Stands in for the ClickHouse HTTP interface's health check.
  ({ server: pingServer, url } = await listen((req, res) => res.end(req.url === '/ping' ? 'Ok.\n' : 'no'), { host: '127.0.0.1', port: 0 }, 'the ping server'));
});
afterAll(async () => {
  await closeGracefully(pingServer);
  rmSync(home, { recursive: true, force: true });
});

describe('server info', () => {
  it('is written next to the data directory and found while the server lives', async () => {
    const path = writeServerInfo(dataDir, { clickhouseHttp: url, api: 'http://127.0.0.1:8787' });
    expect(path).toBe(join(home, 'server.json'));
    expect(serverInfoPath(`${dataDir}/`)).toBe(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, dataDir, clickhouseHttp: url, api: 'http://127.0.0.1:8787' });
    expect(await readLiveServerInfo(dataDir)).toMatchObject({ pid: process.pid, clickhouseHttp: url });
  });

  it('is ignored for another data directory under the same parent', async () => {
    writeServerInfo(dataDir, { clickhouseHttp: url });
    expect(await readLiveServerInfo(join(home, 'other-data'))).toBeUndefined();
  });

  it('is ignored when the process is gone', async () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeServerInfo(dataDir, { clickhouseHttp: url, pid: exited });
    expect(await readLiveServerInfo(dataDir)).toBeUndefined();
  });

  it('is ignored when the interface does not answer /ping', async () => {
    writeServerInfo(dataDir, { clickhouseHttp: 'http://127.0.0.1:9' });
    expect(await readLiveServerInfo(dataDir, { timeoutMs: 500 })).toBeUndefined();
  });

  it('is ignored when unreadable', async () => {
    writeFileSync(serverInfoPath(dataDir), '{"pid": "nope"');
    expect(await readLiveServerInfo(dataDir)).toBeUndefined();
  });

  it('is removed only by the process that wrote it', () => {
    writeServerInfo(dataDir, { clickhouseHttp: url, pid: process.pid });
    removeServerInfo(dataDir, process.pid + 1);
    expect(existsSync(serverInfoPath(dataDir))).toBe(true);
    removeServerInfo(dataDir);
    expect(existsSync(serverInfoPath(dataDir))).toBe(false);
  });
});
