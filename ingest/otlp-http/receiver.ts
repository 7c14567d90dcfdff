// OTLP/HTTP trace receiver: `POST /v1/traces` with protobuf or JSON bodies, gzip or
// identity, answered exactly as the OTLP/HTTP specification says: 200 with an
// ExportTraceServiceResponse (partial success when spans were rejected or changed) only
// once the consumer has stored the spans, and a google.rpc.Status body in the request's
// encoding on every failure, with Retry-After on 429/503.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { HttpServerHandle } from '../../core/http-server.ts';
import { BackpressureError, StorageUnavailableError, UnauthenticatedError } from '../../core/errors.ts';
import type { SpanRecord } from '../../core/span.ts';
import {
  decodeParsedRequest,
  encodeExportTraceResponse,
  encodeParsedRequest,
  encodeRpcStatus,
  OtlpDecodeError,
  parseExportTraceRequest,
  type DecodeResult,
  type FieldViolation,
  type OtlpEncoding,
} from '../otlp/index.ts';
import { ClientDisconnectedError, readRequestBody, RequestBodyError } from './body.ts';
import { resolveConfig, type OtlpHttpReceiverConfig, type ResolvedOtlpHttpReceiverConfig } from './config.ts';

export const TRACES_PATH = '/v1/traces';

/** One accepted request, handed to the consumer. */
export interface ReceivedBatch {
  /** The spans that were accepted (rejected ones are counted in the response, not here). */
  spans: SpanRecord[];
  /** sha256 hex of project id, encoding and decompressed body: a client's retry of the same request gets the same key. */
  dedupKey: string;
  /** The request as ExportTraceServiceRequest protobuf (the original body for protobuf requests). */
  protobuf: Uint8Array;
}

/** Resolves once the spans are durably stored. Reject with BackpressureError (429) or StorageUnavailableError (503) to have the client retry. */
export type TraceConsumer = (batch: ReceivedBatch) => Promise<void>;

const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
const ENCODINGS: Record<string, OtlpEncoding> = { 'application/x-protobuf': 'protobuf', 'application/json': 'json' };
const SUPPORTED_CONTENT_TYPES = 'application/x-protobuf, application/json';

/** google.rpc.Code for each HTTP status the receiver sends (informational for OTLP/HTTP clients). */
const RPC_CODES: Record<number, number> = { 400: 3, 401: 16, 404: 5, 405: 12, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

interface Failure {
  status: number;
  message: string;
  fieldViolations?: FieldViolation[];
  retryAfterSeconds?: number;
}

export class OtlpHttpReceiver {
  private readonly config: ResolvedOtlpHttpReceiverConfig;
  private readonly server = new HttpServerHandle('OTLP/HTTP receiver');

  constructor(
    config: OtlpHttpReceiverConfig,
    private readonly consumer: TraceConsumer,
  ) {
    this.config = resolveConfig(config);
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = await this.server.start(this.app(), this.config);
    return { host, port };
  }

  /** Stops accepting connections and resolves once the requests in flight are answered. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    // Paths match exactly, as in the collector's receiver.
    app.set('case sensitive routing', true);
    app.set('strict routing', true);
    app.post(TRACES_PATH, (req, res) => this.export(req, res));
    app.all(TRACES_PATH, (req, res) => {
      res.setHeader('Allow', 'POST');
      sendFailure(req, res, requestEncoding(req) ?? 'json', { status: 405, message: `method ${req.method} not allowed on ${TRACES_PATH}; use POST` });
    });
    app.use((req: express.Request, res: express.Response) => {
      sendFailure(req, res, requestEncoding(req) ?? 'json', { status: 404, message: `no such path ${req.path}; traces are accepted at POST ${TRACES_PATH}` });
    });
    // Express's own errors (e.g. an undecodable URL) get a Status body too, never HTML.
    app.use((err: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
      sendFailure(req, res, requestEncoding(req) ?? 'json', { status: 500, message: err.message });
    });
    return app;
  }

  private async export(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const encoding = requestEncoding(req);
    if (!encoding) {
      const got = req.headers['content-type'] ? `Content-Type "${req.headers['content-type']}"` : 'no Content-Type';
      return sendFailure(req, res, 'json', { status: 415, message: `unsupported media type: ${got}; supported: ${SUPPORTED_CONTENT_TYPES}` });
    }
    try {
      const gzip = isGzip(req.headers['content-encoding']);
      const projectId = await this.projectId(req);
      const body = await readRequestBody(req, gzip, this.config);
      const parsed = parseExportTraceRequest(body, encoding);
      const result = decodeParsedRequest(parsed, { ...this.config, projectId });
      if (result.spans.length > 0) {
        const protobuf = encoding === 'protobuf' ? body : encodeParsedRequest(parsed);
        await this.consumer({ spans: result.spans, dedupKey: dedupKey(projectId, encoding, body), protobuf });
      }
      send(res, 200, encoding, encodeExportTraceResponse(encoding, partialSuccess(result)));
    } catch (err) {
      if (err instanceof ClientDisconnectedError) return;
      sendFailure(req, res, encoding, failureOf(err));
    }
  }

  private async projectId(req: IncomingMessage): Promise<string> {
    const projectId: unknown = await this.config.projectId(req);
    if (typeof projectId !== 'string' || projectId === '') throw new Error(`projectId resolver returned ${JSON.stringify(projectId)}, not a project id`);
    return projectId;
  }
}

/** The payload encoding named by Content-Type, or undefined when unsupported. */
function requestEncoding(req: IncomingMessage): OtlpEncoding | undefined {
  const mediaType = req.headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
  return mediaType ? ENCODINGS[mediaType] : undefined;
}

function isGzip(contentEncoding: string | undefined): boolean {
  const coding = contentEncoding?.trim().toLowerCase() ?? '';
  if (coding === 'gzip' || coding === 'x-gzip') return true;
  if (coding === '' || coding === 'identity') return false;
  throw new UnsupportedContentEncodingError(`unsupported Content-Encoding "${contentEncoding}"; supported: gzip, identity`);
}

class UnsupportedContentEncodingError extends Error {}

function dedupKey(projectId: string, encoding: OtlpEncoding, body: Uint8Array): string {
  return createHash('sha256').update(projectId).update('\0').update(encoding).update('\0').update(body).digest('hex');
}

/** OTLP partial success: set when spans were rejected, or as a warning when accepted data was changed. */
function partialSuccess(result: DecodeResult): { rejectedSpans: number; errorMessage: string } | undefined {
  if (result.rejectedSpans === 0 && result.messages.length === 0) return undefined;
  return { rejectedSpans: result.rejectedSpans, errorMessage: result.messages.join('; ') };
}

function failureOf(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof OtlpDecodeError) {
    return { status: 400, message, fieldViolations: err.field ? [{ field: err.field, description: err.description }] : undefined };
  }
  if (err instanceof RequestBodyError) return { status: err.status, message };
  if (err instanceof UnsupportedContentEncodingError) return { status: 415, message };
  if (err instanceof UnauthenticatedError) return { status: 401, message };
  if (err instanceof BackpressureError) return { status: 429, message, retryAfterSeconds: err.retryAfterSeconds };
  if (err instanceof StorageUnavailableError) return { status: 503, message, retryAfterSeconds: err.retryAfterSeconds };
  return { status: 500, message: `internal error: ${message}` };
}

function sendFailure(req: IncomingMessage, res: ServerResponse, encoding: OtlpEncoding, failure: Failure): void {
  if (res.headersSent) return;
  const retryAfter = failure.retryAfterSeconds;
  if (retryAfter !== undefined && Number.isFinite(retryAfter)) res.setHeader('Retry-After', String(Math.max(0, Math.ceil(retryAfter))));
  // An unread body would otherwise be drained to keep the connection; closing is cheaper.
  if (!req.complete) res.setHeader('Connection', 'close');
  const body = encodeRpcStatus(encoding, { code: RPC_CODES[failure.status] ?? 2, message: failure.message, fieldViolations: failure.fieldViolations });
  send(res, failure.status, encoding, body);
}

function send(res: ServerResponse, status: number, encoding: OtlpEncoding, body: Uint8Array): void {
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPES[encoding]);
  res.setHeader('Content-Length', body.byteLength);
  res.end(body);
}
