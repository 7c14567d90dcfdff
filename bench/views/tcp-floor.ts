// The floor under the SSE figures: the same bytes, at the same moments, to the same number
// of loopback connections and the same client process, written by a bare TCP server (one
// prepared HTTP chunk per commit, `socket.write` to every connection) — no express, no
// event derivation, no SSE bookkeeping. What the kernel and Node's sockets cost by themselves.
import { createServer, type Socket } from 'node:net';
import { chunksOf, ClientProcess, sleepUntil, wallMs, weightedPercentile } from './client-process.ts';

export interface FloorFigures {
  latency: { p50: number; p99: number; max: number };
  missingChunks: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

/** Synthetic event ids name the chunk: 13 digits, as the clients read a span end in ms. */
const FIRST_ID = 1_000_000_000_000;

function chunkFrame(index: number, bytes: number): Buffer {
  const payload = Buffer.alloc(Math.max(bytes, 32), 'x');
  payload.write(`id: ${FIRST_ID + index}\n`, 0, 'latin1');
  payload.write('\n\n', payload.length - 2, 'latin1');
  return Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`, 'latin1'), payload, Buffer.from('\r\n', 'latin1')]);
}

/** Replays `commits` (ms after the first, size, weight) to `subscribers` connections. */
export async function measureTcpFloor(
  commits: ReadonlyArray<{ offsetMs: number; bytes: number; events: number }>,
  subscribers: number,
  log: (line: string) => void,
): Promise<FloorFigures> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'));
    socket.on('error', () => {});
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const { clients } = await ClientProcess.open('127.0.0.1', port, subscribers);
    const frames = commits.map((c, i) => chunkFrame(i, c.bytes));
    const t0 = wallMs() + 500;
    const sentMs: number[] = [];
    const cpu0 = process.cpuUsage();
    for (const [i, commit] of commits.entries()) {
      await sleepUntil(t0 + commit.offsetMs);
      sentMs.push(wallMs());
      for (const socket of sockets) socket.write(frames[i]!);
    }
    await sleepUntil(wallMs() + 3000);
    const cpu = process.cpuUsage(cpu0);
    const received = await clients.stop();
    const latency: Array<[number, number]> = [];
    for (const chunk of chunksOf(received)) {
      const i = chunk.firstIdMs - FIRST_ID;
      if (i >= 0 && i < commits.length) latency.push([chunk.receivedMs - sentMs[i]!, commits[i]!.events]);
    }
    const figures: FloorFigures = {
      latency: {
        p50: weightedPercentile(latency, 50),
        p99: weightedPercentile(latency, 99),
        max: latency.reduce((max, [ms]) => Math.max(max, ms), -Infinity),
      },
      missingChunks: commits.length * subscribers - latency.length,
      serverCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      clientCpuMs: received.cpuMs,
    };
    log(`  bare TCP, same bytes: p50 ${figures.latency.p50.toFixed(1)} ms, p99 ${figures.latency.p99.toFixed(1)} ms; CPU server ${figures.serverCpuMs} ms, clients ${figures.clientCpuMs} ms`);
    return figures;
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
