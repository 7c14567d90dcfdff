// One server-sent-events response: framing (WHATWG HTML §9.2), a bounded send buffer and
// the slow-consumer cut-off. Frames are serialised once and shared by every connection that
// receives them (a live batch as one encoded buffer).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseConnectionOptions {
  /** Reconnection delay suggested to the client (`retry:`). */
  retryMs: number;
  /** Bytes that may wait in the socket buffer; a connection with more backlog than this is dropped. */
  maxBufferedBytes: number;
  /** How long a dropped client may take to read the reason before its socket is destroyed. */
  disconnectGraceMs: number;
}

/** Why a stream ended from the server side; sent as the data of an `error` event. */
export interface DisconnectReason {
  reason: 'slow_consumer' | 'internal_error' | 'server_shutdown';
  message: string;
}

/** A complete SSE event. `data` must be a single line (JSON is). Without `id` the client keeps its last event id. */
export function sseFrame(event: string, data: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

const HEARTBEAT = ':\n\n';

export class SseConnection {
  private closedFlag = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly options: SseConnectionOptions,
  ) {
    res.once('close', () => this.markClosed());
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sends the response head; events may follow at once. */
  open(): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    this.res.socket?.setNoDelay(true);
    this.res.write(`retry: ${this.options.retryMs}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.closedFlag) listener();
    else this.closeListeners.push(listener);
  }

  /**
   * Writes frames unless the client has not read what it was sent before: a backlog over
   * the bound means the client cannot keep up, and it is dropped rather than buffered
   * without limit. Returns false when the connection is (now) closed.
   */
  send(frames: string | Buffer): boolean {
    if (this.closedFlag) return false;
    if (this.res.writableLength > this.options.maxBufferedBytes) {
      this.drop({ reason: 'slow_consumer', message: `the client did not read ${this.res.writableLength} buffered bytes in time` });
      return false;
    }
    if (frames.length > 0) this.res.write(frames);
    return true;
  }

  heartbeat(): void {
    if (!this.closedFlag && this.res.writableLength <= this.options.maxBufferedBytes) this.res.write(HEARTBEAT);
  }

  /** True once the send buffer is back under its bound, false if that takes longer than timeoutMs or the connection closes. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.closedFlag) return false;
    if (this.res.writableLength <= this.options.maxBufferedBytes) return true;
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok && !this.closedFlag);
      };
      const onDrain = () => finish(true);
      const onClose = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.res.on('drain', onDrain);
      this.res.once('close', onClose);
    });
  }

  /** Tells the client why with an `error` event, ends the stream and destroys the socket if the client does not read it. */
  drop(reason: DisconnectReason): void {
    if (this.closedFlag) return;
    const socket = this.res.socket;
    this.res.end(sseFrame('error', JSON.stringify(reason)));
    this.markClosed();
    if (socket && !socket.destroyed) {
      const timer = setTimeout(() => socket.destroy(), this.options.disconnectGraceMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    }
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
