// A minimal EventSource for tests: parses the stream, records events and heartbeats, and
// can stop reading (pause) to play a stalled client. Test support only.
import { request, type IncomingMessage } from 'node:http';
import type { TraceEvent } from '../events/derive.ts';

export interface ReceivedEvent {
  id?: string;
  event: string;
  data: string;
}

export class SseTestClient {
  readonly events: ReceivedEvent[] = [];
  heartbeats = 0;
  ended = false;
  /** The id the client would send as Last-Event-ID on reconnecting. */
  lastEventId: string | undefined;
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(
    readonly response: IncomingMessage,
    readonly status: number,
  ) {}

  /** Opens a stream; non-200 answers resolve too (check `status` and `body()`). */
  static connect(url: string, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<SseTestClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        clearTimeout(timer);
        const client = new SseTestClient(res, res.statusCode ?? 0);
        res.setEncoding('utf8');
        if (client.status === 200) res.on('data', (chunk: string) => client.feed(chunk));
        res.on('end', () => client.finish());
        res.on('close', () => client.finish());
        res.on('error', () => client.finish());
        resolve(client);
      });
      const timer = setTimeout(() => req.destroy(new Error(`no response from ${url} within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', reject);
      req.end();
    });
  }

  async body(): Promise<string> {
    let text = '';
    for await (const chunk of this.response) text += chunk;
    return text;
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: ReceivedEvent = { event: 'message', data: '' };
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.heartbeats++;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') {
          event.id = value;
          this.lastEventId = value;
        } else if (field === 'event') event.event = value;
        else if (field === 'data') {
          event.data = value;
          isEvent = true;
        }
      }
      if (isEvent) this.events.push(event);
    }
    this.notify();
  }

  private finish(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `predicate` holds; rejects after timeoutMs. */
  async waitFor(predicate: (client: SseTestClient) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (${this.events.length} events, ended=${this.ended})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  traceEvents(): TraceEvent[] {
    return this.events.filter((e) => e.event === 'trace').map((e) => JSON.parse(e.data) as TraceEvent);
  }

  close(): void {
    this.response.destroy();
  }
}
