import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLiveServerInfo, removeServerInfo, serverInfoPath, writeServerInfo } from './server-info.ts';

const home = mkdtempSync(join(tmpdir(), 'flowtrace-serverinfo-'));
const dataDir = join(home, 'data');
let pingServer: Server;
let url: string;

beforeAll(async () => {
  // Stands in for the ClickHouse HTTP interface's health check.
  pingServer = createServer((req, res) => res.end(req.url === '/ping' ? 'Ok.\n' : 'no'));
  await new Promise<void>((resolve) => pingServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(pingServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => pingServer.close(resolve));
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
