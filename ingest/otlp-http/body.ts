// Reads a request body with the OTLP/HTTP size limits enforced while streaming: the bytes
// on the wire are capped, and a gzip body is inflated through zlib chunk by chunk with the
// inflated size capped, so a compression bomb costs at most the cap in memory.
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface BodyLimits {
  maxRequestBytes: number;
  maxDecompressedBytes: number;
}

/** The body cannot be used; `status` is the HTTP answer (400 or 413). */
export class RequestBodyError extends Error {
  override name = 'RequestBodyError';
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/** The client went away before sending the whole body; there is no one to answer. */
export class ClientDisconnectedError extends Error {
  override name = 'ClientDisconnectedError';
}

/** Collects chunks up to a byte limit; `add` returns false once the limit is passed. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  size = 0;

  constructor(readonly limit: number) {}

  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.limit) return false;
    this.chunks.push(chunk);
    return true;
  }

  /** One contiguous buffer; no copy when the body arrived in one chunk. */
  contents(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }
}

export function readRequestBody(req: IncomingMessage, gzip: boolean, limits: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limits.maxRequestBytes) {
    return Promise.reject(tooLarge(`request body of ${declared} bytes (Content-Length) exceeds the limit of ${limits.maxRequestBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const body = new BoundedBuffer(gzip ? limits.maxDecompressedBytes : Math.min(limits.maxRequestBytes, limits.maxDecompressedBytes));
    const gunzip = gzip ? createGunzip() : null;
    let received = 0;
    let settled = false;

    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
      if (error) {
        gunzip?.destroy();
        // Stop reading; the error answer closes the connection.
        req.pause();
        reject(error);
      } else resolve(body.contents());
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxRequestBytes) {
        finish(tooLarge(`request body exceeds the limit of ${limits.maxRequestBytes} bytes`));
      } else if (gunzip) {
        gunzip.write(chunk);
      } else if (!body.add(chunk)) {
        finish(tooLarge(`request body exceeds the limit of ${body.limit} bytes`));
      }
    };
    const onEnd = (): void => {
      if (gunzip) gunzip.end();
      else finish(null);
    };
    const onAbort = (): void => finish(new ClientDisconnectedError('client disconnected while sending the request body'));
    const onClose = (): void => {
      if (!req.complete) onAbort();
    };

    gunzip
      ?.on('data', (chunk: Buffer) => {
        if (!body.add(chunk)) {
          finish(tooLarge(`gzip request body inflates to more than the limit of ${body.limit} bytes (${received} bytes compressed)`));
        }
      })
      .on('end', () => finish(null))
      .on('error', (err) => finish(new RequestBodyError(400, `request body is not valid gzip (Content-Encoding: gzip): ${err.message}`)));
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onClose);
  });
}

function tooLarge(message: string): RequestBodyError {
  return new RequestBodyError(413, message);
}
