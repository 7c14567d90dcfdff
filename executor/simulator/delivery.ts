// Writing answers and faults to the wire. The zero-latency path writes each response in
// one call without timers, so benchmarks measure the client, not the simulator.
import type { ServerResponse } from 'node:http';
import type { StreamFrames } from './dialect.ts';

export type ResponseHeaders = Record<string, string>;

const JSON_TYPE = 'application/json';
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** How a stream ends: normally, with the provider's error event, or with the socket destroyed. */
export type StreamEnding = 'complete' | 'error' | 'drop';

export interface StreamPlan {
  /** Delay between the response headers and the first event (time to first token). */
  firstEventMs: number;
  /** Delay before each content event. */
  perChunkMs: number;
  ending: StreamEnding;
  /** The provider's error event, for the `error` ending. */
  errorFrame: string;
}

/** Resolves true after `ms`, or false as soon as the client has gone away. */
function pause(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

export function sendJson(res: ServerResponse, status: number, headers: ResponseHeaders, body: string): void {
  res.writeHead(status, { ...headers, 'content-type': JSON_TYPE });
  res.end(body);
}

export async function sendJsonAfter(res: ServerResponse, delayMs: number, headers: ResponseHeaders, body: string): Promise<void> {
  if (delayMs > 0 && !(await pause(res, delayMs))) return;
  sendJson(res, 200, headers, body);
}

/** Sends the data, then destroys the socket without finishing the response. */
function writeThenDrop(res: ServerResponse, data: string): void {
  if (data.length === 0) {
    res.socket?.destroy();
    return;
  }
  res.write(data, () => res.socket?.destroy());
}

export async function sendStream(res: ServerResponse, headers: ResponseHeaders, frames: StreamFrames, plan: StreamPlan): Promise<void> {
  res.writeHead(200, { ...headers, ...SSE_HEADERS });
  res.flushHeaders();
  // Faults cut the stream half-way through the content.
  const sent = plan.ending === 'complete' ? frames.content.length : Math.floor(frames.content.length / 2);
  const ending = plan.ending === 'complete' ? frames.finale.join('') : plan.ending === 'error' ? plan.errorFrame : '';
  if (plan.firstEventMs > 0 && !(await pause(res, plan.firstEventMs))) return;
  if (plan.perChunkMs <= 0) {
    const head = frames.prelude.join('') + frames.content.slice(0, sent).join('');
    if (plan.ending === 'drop') writeThenDrop(res, head);
    else res.end(head + ending);
    return;
  }
  res.write(frames.prelude.join(''));
  for (let i = 0; i < sent; i++) {
    if (!(await pause(res, plan.perChunkMs))) return;
    res.write(frames.content[i]);
  }
  if (plan.ending === 'drop') writeThenDrop(res, '');
  else res.end(ending);
}

/** A 200 whose body is cut in half: valid headers, unparseable JSON or SSE data. */
export function sendMalformed(res: ServerResponse, headers: ResponseHeaders, stream: boolean, validBody: string): void {
  const cut = validBody.slice(0, Math.max(1, Math.floor(validBody.length / 2)));
  res.writeHead(200, { ...headers, ...(stream ? SSE_HEADERS : { 'content-type': JSON_TYPE }) });
  res.end(stream ? `${cut.trimEnd()}\n\n` : cut);
}

export function sendEmptyStream(res: ServerResponse, headers: ResponseHeaders): void {
  res.writeHead(200, { ...headers, ...SSE_HEADERS });
  res.end();
}

/** Never answers; closes the socket after `ms` unless the client gives up first. */
export function hang(res: ServerResponse, ms: number): void {
  const timer = setTimeout(() => res.socket?.destroy(), ms);
  res.once('close', () => clearTimeout(timer));
}

/** Closes the connection before any response byte: clients see a connection error. */
export function drop(res: ServerResponse): void {
  res.socket?.destroy();
}
