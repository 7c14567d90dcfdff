// Many SSE clients in one process (forked by bench/views.ts, driven over IPC), each holding
// one `GET /api/stream` over its own loopback TCP connection. The tail server writes each
// committed batch to a stream as one HTTP chunk, so a client only follows the chunked
// framing and notes, per chunk: the first event's id (its span end, which names the batch),
// when the chunk's last byte arrived and its size. Reading frame by frame in JavaScript
// would make this process, not the server, the bottleneck at a gigabyte per second.
import { connect, type Socket } from 'node:net';

export type ParentMessage = { type: 'connect'; host: string; port: number; clients: number } | { type: 'stop' };

/** One chunk as a client received it. */
export interface ChunkRecord {
  client: number;
  /** Milliseconds since the epoch of the first event's span end (from its id). */
  firstIdMs: number;
  /** Wall-clock ms when the chunk's last byte arrived. */
  receivedMs: number;
  bytes: number;
}

export type ChildMessage =
  | { type: 'connected'; open: number; refused: string[]; ms: number }
  | {
      type: 'result';
      /** Per chunk carrying events: [client, firstIdMs, receivedMs, bytes] repeated. */
      chunks: Float64Array;
      /** Clients whose stream ended or that were sent `event: error`, with why. */
      dropped: Array<{ client: number; reason: string }>;
      cpuMs: number;
      bytes: number;
    };

const wallMs = () => performance.timeOrigin + performance.now();
const HEAD_BYTES = 64;
const CR = 13;
const LF = 10;

let records = new Float64Array(4 * 65_536);
let recordCount = 0;
let totalBytes = 0;
let stopping = false;
const dropped = new Map<number, string>();
const sockets: Socket[] = [];

function record(client: number, firstIdMs: number, receivedMs: number, bytes: number): void {
  if (recordCount * 4 + 4 > records.length) {
    const grown = new Float64Array(records.length * 2);
    grown.set(records);
    records = grown;
  }
  records.set([client, firstIdMs, receivedMs, bytes], recordCount * 4);
  recordCount++;
}

/** Follows one response: status line and headers, then `Transfer-Encoding: chunked` framing. */
class ChunkedStream {
  private state: 'headers' | 'size' | 'data' | 'crlf' = 'headers';
  private headers = '';
  private size = 0;
  private remaining = 0;
  private readonly head = Buffer.alloc(HEAD_BYTES);
  private headLength = 0;

  constructor(
    private readonly client: number,
    private readonly onOpen: (error?: string) => void,
  ) {}

  feed(buf: Buffer, now: number): void {
    let at = 0;
    while (at < buf.length) {
      if (this.state === 'headers') {
        const end = buf.indexOf('\r\n\r\n', at, 'latin1');
        this.headers += buf.toString('latin1', at, end === -1 ? buf.length : end + 4);
        if (end === -1) return;
        at = end + 4;
        const ok = this.headers.startsWith('HTTP/1.1 200') && /\r\ntransfer-encoding: chunked\r\n/i.test(this.headers);
        this.onOpen(ok ? undefined : this.headers.split('\r\n')[0]);
        this.state = 'size';
        this.size = 0;
      } else if (this.state === 'size') {
        const c = buf[at++]!;
        if (c === LF) {
          if (this.size === 0) return this.end('the server ended the stream');
          this.state = 'data';
          this.remaining = this.size;
          this.headLength = 0;
        } else if (c !== CR) {
          this.size = this.size * 16 + parseInt(String.fromCharCode(c), 16);
        }
      } else if (this.state === 'data') {
        const take = Math.min(this.remaining, buf.length - at);
        if (this.headLength < HEAD_BYTES) this.headLength += buf.copy(this.head, this.headLength, at, at + Math.min(take, HEAD_BYTES - this.headLength));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          this.chunkDone(now);
          this.state = 'crlf';
          this.remaining = 2;
        }
      } else {
        at++;
        if (--this.remaining === 0) {
          this.state = 'size';
          this.size = 0;
        }
      }
    }
  }

  /** Event chunks start with `id: <span end ns>`; the drop notice with `event: error`. */
  private chunkDone(now: number): void {
    const head = this.head.toString('latin1', 0, this.headLength);
    if (head.startsWith('id: ')) record(this.client, Number(head.slice(4, 17)), now, this.size);
    else if (head.startsWith('event: error')) this.end(`event: error (${head.slice(head.indexOf('data: ') + 6)}…)`);
  }

  end(reason: string): void {
    if (!stopping && !dropped.has(this.client)) dropped.set(this.client, reason);
  }
}

/**
 * Every socket reads into this one buffer (up to 1 MiB per read, no allocation per chunk):
 * a read is handled before the next one starts, so they can share it.
 */
const READ_BUFFER = Buffer.alloc(1 << 20);

function open(host: string, port: number, client: number, refused: string[]): Promise<void> {
  return new Promise((resolve) => {
    const stream = new ChunkedStream(client, (error) => {
      if (error !== undefined) refused.push(`client ${client}: ${error}`);
      resolve();
    });
    const socket = connect({
      host,
      port,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buf: Uint8Array) => {
          totalBytes += bytes;
          stream.feed(Buffer.from(buf.buffer, buf.byteOffset, bytes), wallMs());
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(`GET /api/stream HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\n\r\n`));
    socket.on('error', (err) => {
      stream.end(err.message);
      resolve();
    });
    socket.on('close', () => stream.end('connection closed'));
    sockets.push(socket);
  });
}

async function connectAll(host: string, port: number, clients: number): Promise<ChildMessage> {
  const started = performance.now();
  const refused: string[] = [];
  // A few dozen at a time: a thousand simultaneous SYNs would overflow the listen backlog.
  for (let first = 0; first < clients; first += 50) {
    await Promise.all(Array.from({ length: Math.min(50, clients - first) }, (_, i) => open(host, port, first + i, refused)));
  }
  return { type: 'connected', open: clients - refused.length - dropped.size, refused, ms: Math.round(performance.now() - started) };
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'connect') {
    void connectAll(message.host, message.port, message.clients).then((reply) => process.send!(reply));
    return;
  }
  stopping = true;
  const cpu = process.cpuUsage();
  for (const socket of sockets) socket.destroy();
  const result: ChildMessage = {
    type: 'result',
    chunks: records.slice(0, recordCount * 4),
    dropped: [...dropped].map(([client, reason]) => ({ client, reason })),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    bytes: totalBytes,
  };
  process.send!(result, () => process.exit(0));
});
