// The bench's side of the SSE client process (sse-clients.ts): fork it, open the clients,
// collect what they received.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './sse-clients.ts';

export type Connected = Extract<ChildMessage, { type: 'connected' }>;
export type Received = Extract<ChildMessage, { type: 'result' }>;

export class ClientProcess {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks the process and opens `clients` streams to `GET /api/stream` on host:port. */
  static async open(host: string, port: number, clients: number): Promise<{ clients: ClientProcess; connected: Connected }> {
    const child = fork(fileURLToPath(new URL('./sse-clients.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const driver = new ClientProcess(child);
    const connected = (await driver.ask({ type: 'connect', host, port, clients })) as Connected;
    return { clients: driver, connected };
  }

  /** Closes every stream and returns what each received. */
  async stop(): Promise<Received> {
    return (await this.ask({ type: 'stop' })) as Received;
  }

  private ask(message: ParentMessage): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`SSE client process exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (reply) => {
        this.child.off('exit', onExit);
        resolve(reply as ChildMessage);
      });
      this.child.send(message);
    });
  }
}

/** Records of a Received: [client, firstIdMs, receivedMs, bytes] per chunk. */
export function* chunksOf(received: Received): Generator<{ client: number; firstIdMs: number; receivedMs: number; bytes: number }> {
  const c = received.chunks;
  for (let i = 0; i < c.length; i += 4) yield { client: c[i]!, firstIdMs: c[i + 1]!, receivedMs: c[i + 2]!, bytes: c[i + 3]! };
}

/** Weighted percentile of [value, weight] pairs (0 < p ≤ 100). */
export function weightedPercentile(pairs: ReadonlyArray<readonly [number, number]>, p: number): number {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, w]) => sum + w, 0);
  let seen = 0;
  for (const [value, w] of sorted) if ((seen += w) >= (p / 100) * total) return value;
  return NaN;
}

export const wallMs = () => performance.timeOrigin + performance.now();
export const sleepUntil = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms - wallMs())));
