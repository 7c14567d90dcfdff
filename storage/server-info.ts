// How other FlowTrace processes find a running `flowtrace up`. The embedded engine lets
// one process at a time open a data directory, so `flowtrace sql` (and any other tool)
// must go through the running server's ClickHouse HTTP interface instead of opening the
// directory itself. Contract: `up` writes `<flowtraceDir>/server.json`, where
// flowtraceDir is the data directory's parent (`.flowtrace` for the default
// `.flowtrace/data`), once its interfaces listen, and removes it on shutdown.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

const ServerInfoSchema = z
  .object({
    /** The `flowtrace up` process. */
    pid: z.number().int().positive(),
    /** Absolute path of the data directory it serves. */
    dataDir: z.string().min(1),
    /** Base URL of its ClickHouse HTTP interface, e.g. http://127.0.0.1:8123. */
    clickhouseHttp: z.string().url(),
    startedAt: z.string(),
    /** Base URL of the HTTP API / SSE / live page, when started. */
    api: z.string().url().optional(),
    /** Base URL of the OTLP/HTTP receiver, when started. */
    otlpHttp: z.string().url().optional(),
  })
  .passthrough();

export type ServerInfo = z.infer<typeof ServerInfoSchema>;

export function serverInfoPath(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'server.json');
}

/** Records the running server for `dataDir` (atomically: readers never see half a file). Returns the file's path. */
export function writeServerInfo(dataDir: string, info: Omit<ServerInfo, 'pid' | 'dataDir' | 'startedAt'> & Partial<ServerInfo>): string {
  const path = serverInfoPath(dataDir);
  const record: ServerInfo = ServerInfoSchema.parse({
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...info,
    dataDir: resolve(dataDir),
  });
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, path);
  return path;
}

/** Removes the record, only if it is the one `pid` wrote (a newer server's record stays). */
export function removeServerInfo(dataDir: string, pid: number = process.pid): void {
  const path = serverInfoPath(dataDir);
  if (readServerInfo(path)?.pid === pid) rmSync(path, { force: true });
}

/**
 * The server serving `dataDir`, if one is running: the record exists, names this data
 * directory, its process is alive and its ClickHouse HTTP interface answers /ping.
 */
export async function readLiveServerInfo(dataDir: string, options: { timeoutMs?: number } = {}): Promise<ServerInfo | undefined> {
  const info = readServerInfo(serverInfoPath(dataDir));
  if (!info || info.dataDir !== resolve(dataDir) || !processAlive(info.pid)) return undefined;
  try {
    const res = await fetch(new URL('/ping', info.clickhouseHttp), { signal: AbortSignal.timeout(options.timeoutMs ?? 2000) });
    return res.ok && (await res.text()) === 'Ok.\n' ? info : undefined;
  } catch {
    return undefined;
  }
}

function readServerInfo(path: string): ServerInfo | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = ServerInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
