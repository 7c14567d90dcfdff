// Thousands of idle live connections: bounded by the configured maximum (503 beyond),
// kept alive by heartbeats, reached by every published batch, and without memory growth.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTailHarness, type TailHarness } from '../test-support/harness.ts';
import { RunRecords } from '../test-support/run-records.ts';
import { SseTestClient } from '../test-support/sse-client.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CONNECTIONS = 2_000;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('idle SSE connections', () => {
  let h: TailHarness;

  beforeAll(async () => {
    h = await startTailHarness({ sse: { maxConnections: CONNECTIONS, heartbeatMs: 100 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function openAll(): Promise<SseTestClient[]> {
    const clients: SseTestClient[] = [];
    for (let i = 0; i < CONNECTIONS; i += 200) {
      const wave = Array.from({ length: Math.min(200, CONNECTIONS - i) }, () => SseTestClient.connect(`${h.baseUrl}/api/stream?kind=run.status`));
      clients.push(...(await Promise.all(wave)));
    }
    expect(clients.every((c) => c.status === 200)).toBe(true);
    await until(() => h.server.liveConnections() === CONNECTIONS, 10_000, 'every connection to be registered');
    return clients;
  }

  it(`holds ${CONNECTIONS} idle streams, refuses more with 503, and does not grow`, async () => {
    let clients = await openAll();
    const closeAll = async () => {
      for (const c of clients) c.close();
      clients = [];
      await until(() => h.server.liveConnections() === 0, 10_000, 'the connections to close');
    };

    const refused = await SseTestClient.connect(`${h.baseUrl}/api/stream`);
    expect(refused.status).toBe(503);
    expect(refused.response.headers['retry-after']).toBe('5');
    expect(JSON.parse(await refused.body())).toEqual({ error: `too many live connections (limit ${CONNECTIONS})` });

    // Idle: only heartbeats flow, and memory stays flat while they do.
    const idleStart = heapAfterGc();
    const beats = clients.map((c) => c.heartbeats);
    await until(() => clients.every((c, i) => c.heartbeats >= beats[i]! + 10), 20_000, 'ten heartbeats on every stream');
    const idleEnd = heapAfterGc();
    expect(idleEnd - idleStart).toBeLessThan(2 * 1024 * 1024);

    // One committed run reaches every stream.
    await h.ingest(new RunRecords({ runId: 'run-fanout', workflowId: 'fanout', startMs: Date.parse('2026-03-02T10:00:00Z') }).routerStep('decide', 'a').finish());
    await until(() => clients.every((c) => c.traceEvents().length === 1), 20_000, 'the event on every stream');
    await closeAll();

    // After a warm-up round, opening and closing as many again leaves nothing behind.
    const baseline = heapAfterGc();
    clients = await openAll();
    const open2 = heapAfterGc();
    await closeAll();
    expect(heapAfterGc() - baseline).toBeLessThan(2 * 1024 * 1024);
    clients = await openAll();
    expect(Math.abs(heapAfterGc() - open2)).toBeLessThan(2 * 1024 * 1024);
    await closeAll();
  }, 120_000);
});
