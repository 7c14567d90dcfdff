import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FLOWTRACE } from '../../core/semconv.ts';
import { BackpressureError, StorageUnavailableError, UnauthenticatedError } from '../../core/errors.ts';
import type { SpanRecord } from '../../core/span.ts';
import { decodeExportTraceRequest, DEFAULT_SPAN_LIMITS } from '../otlp/index.ts';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from '../otlp/schema.ts';
import { emitAgentTrace, expectedRecord, recordSpans } from '../otlp/test-support.ts';
import { OtlpHttpReceiver, type OtlpHttpReceiverConfig, type ReceivedBatch, type TraceConsumer } from './index.ts';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

interface Running {
  receiver: OtlpHttpReceiver;
  url: string;
  batches: ReceivedBatch[];
}

const running: OtlpHttpReceiver[] = [];

async function start(config: OtlpHttpReceiverConfig = {}, consume: TraceConsumer = async () => {}): Promise<Running> {
  const batches: ReceivedBatch[] = [];
  const receiver = new OtlpHttpReceiver({ port: 0, ...config }, async (batch) => {
    await consume(batch);
    batches.push(batch);
  });
  running.push(receiver);
  const { host, port } = await receiver.start();
  return { receiver, url: `http://${host}:${port}/v1/traces`, batches };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((receiver) => receiver.stop()));
});

interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

async function post(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body: body as BodyInit });
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

function protobufStatus(answer: Answer): { code: number; message: string; details: Array<{ typeUrl: string; value: Uint8Array }> } {
  expect(answer.headers.get('content-type')).toBe(PROTOBUF);
  return RpcStatus.toObject(RpcStatus.decode(answer.body), { defaults: true }) as never;
}

function jsonBody(answer: Answer): Record<string, unknown> {
  expect(answer.headers.get('content-type')).toBe(JSON_TYPE);
  return JSON.parse(new TextDecoder().decode(answer.body));
}

function protobufResponse(answer: Answer): Record<string, unknown> {
  expect(answer.headers.get('content-type')).toBe(PROTOBUF);
  return ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(answer.body), { longs: Number });
}

const TRACE_ID = Buffer.alloc(16, 0xab);
function rawSpan(name: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { traceId: TRACE_ID, spanId: Buffer.alloc(8, name.length), name, startTimeUnixNano: '1', endTimeUnixNano: '2', ...fields };
}
function protobufOf(spans: Record<string, unknown>[]): Uint8Array {
  return ExportTraceServiceRequest.encode({ resourceSpans: [{ scopeSpans: [{ spans }] }] }).finish();
}

let sdkSpans: Awaited<ReturnType<typeof recordSpans>>;
let protobufBody: Uint8Array;
let jsonBodyBytes: Uint8Array;
let expected: SpanRecord[];

beforeAll(async () => {
  sdkSpans = await recordSpans(emitAgentTrace);
  protobufBody = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
  jsonBodyBytes = JsonTraceSerializer.serializeRequest(sdkSpans)!;
  expected = sdkSpans.map((span) => expectedRecord(span, 'default'));
});

describe('accepted requests', () => {
  it('answers a protobuf request with an ExportTraceServiceResponse only after the consumer stored the spans', async () => {
    let stored = false;
    const { url, batches } = await start({}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stored = true;
    });
    const answer = await post(url, protobufBody, { 'Content-Type': PROTOBUF });
    expect(stored).toBe(true);
    expect(answer.status).toBe(200);
    expect(protobufResponse(answer)).toEqual({});
    expect(batches).toHaveLength(1);
    expect(batches[0].spans).toEqual(expected);
    expect(Buffer.from(batches[0].protobuf).equals(Buffer.from(protobufBody))).toBe(true);
    expect(batches[0].dedupKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers a JSON request in JSON and hands the consumer the request as protobuf', async () => {
    const { url, batches } = await start();
    const answer = await post(url, jsonBodyBytes, { 'Content-Type': 'application/json; charset=utf-8' });
    expect(answer.status).toBe(200);
    expect(jsonBody(answer)).toEqual({});
    expect(batches[0].spans).toEqual(expected);
    const fromProtobuf = decodeExportTraceRequest(batches[0].protobuf, 'protobuf', { projectId: 'default', ...DEFAULT_SPAN_LIMITS });
    expect(fromProtobuf.spans).toEqual(expected);
  });

  it('inflates gzip bodies in both encodings; the dedup key is that of the decompressed body', async () => {
    const { url, batches } = await start();
    for (const [type, body] of [
      [PROTOBUF, protobufBody],
      [JSON_TYPE, jsonBodyBytes],
    ] as const) {
      const zipped = await post(url, gzipSync(body), { 'Content-Type': type, 'Content-Encoding': 'gzip' });
      const plain = await post(url, body, { 'Content-Type': type });
      expect([zipped.status, plain.status]).toEqual([200, 200]);
    }
    expect(batches.map((b) => b.spans)).toEqual([expected, expected, expected, expected]);
    const [pbZipped, pbPlain, jsonZipped, jsonPlain] = batches.map((b) => b.dedupKey);
    expect(pbZipped).toBe(pbPlain);
    expect(jsonZipped).toBe(jsonPlain);
    expect(pbPlain).not.toBe(jsonPlain);
  });

  it('gives a retried request the same dedup key, and other bodies or projects other keys', async () => {
    const { url, batches } = await start({ projectId: ({ headers }) => String(headers['x-project'] ?? 'default') });
    await post(url, protobufBody, { 'Content-Type': PROTOBUF });
    await post(url, protobufBody, { 'Content-Type': PROTOBUF });
    await post(url, protobufOf([rawSpan('other')]), { 'Content-Type': PROTOBUF });
    await post(url, protobufBody, { 'Content-Type': PROTOBUF, 'X-Project': 'acme' });
    const keys = batches.map((b) => b.dedupKey);
    expect(keys[0]).toBe(keys[1]);
    expect(new Set(keys).size).toBe(3);
    expect(batches[3].spans.every((s) => s.projectId === 'acme')).toBe(true);
  });

  it('answers an empty request with success without calling the consumer', async () => {
    const { url, batches } = await start();
    const answer = await post(url, new Uint8Array(0), { 'Content-Type': PROTOBUF });
    expect(answer.status).toBe(200);
    expect(protobufResponse(answer)).toEqual({});
    expect(batches).toHaveLength(0);
  });
});

describe('partial success', () => {
  it('rejects spans with invalid ids, stores the rest, and says which (protobuf)', async () => {
    const { url, batches } = await start();
    const body = protobufOf([rawSpan('good'), rawSpan('bad', { traceId: Buffer.alloc(5, 1) }), rawSpan('fine')]);
    const answer = await post(url, body, { 'Content-Type': PROTOBUF });
    expect(answer.status).toBe(200);
    expect(protobufResponse(answer)).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: 'span rejected: resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 5' },
    });
    expect(batches[0].spans.map((s) => s.name)).toEqual(['good', 'fine']);
  });

  it('reports rejected spans in JSON with rejectedSpans as an int64 string', async () => {
    const { url } = await start();
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'abcd', spanId: '0102030405060708' }] }] }] });
    const answer = await post(url, body, { 'Content-Type': JSON_TYPE });
    expect(answer.status).toBe(200);
    expect(jsonBody(answer)).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'span rejected: resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 16 bytes, got 2' },
    });
  });

  it('warns (rejected_spans 0) about invalid UTF-8, truncated values and dropped attributes', async () => {
    const { url, batches } = await start({ maxAttributesPerSpan: 2, maxAttributeValueBytes: 8 });
    const attributes = ['a', 'b', 'c'].map((key) => ({ key, value: { stringValue: 'fXXg-long-value' } }));
    const body = Buffer.from(protobufOf([rawSpan('s', { attributes })]));
    const at = body.indexOf('fXXg');
    body[at + 1] = 0xff;
    const answer = await post(url, body, { 'Content-Type': PROTOBUF });
    const { partialSuccess } = protobufResponse(answer) as { partialSuccess: { rejectedSpans?: number; errorMessage: string } };
    expect(answer.status).toBe(200);
    expect(partialSuccess.rejectedSpans ?? 0).toBe(0);
    expect(partialSuccess.errorMessage).toContain('attribute value of 17 bytes truncated to 8 bytes');
    expect(partialSuccess.errorMessage).toContain('1 attributes over the limit of 2 per list dropped at resourceSpans[0].scopeSpans[0].spans[0]');
    expect(partialSuccess.errorMessage).toContain('invalid UTF-8 replaced with U+FFFD in 1 string field(s): resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.stringValue');
    // 'a' holds U+FFFD (3 bytes in UTF-8), so fewer of its characters fit the 8 bytes.
    expect(batches[0].spans[0].attributes).toEqual({
      a: `f\uFFFDXg-l${FLOWTRACE.TRUNCATED_SUFFIX}`,
      b: `fXXg-lon${FLOWTRACE.TRUNCATED_SUFFIX}`,
      [FLOWTRACE.ATTRIBUTES_DROPPED]: '1',
    });
  });

  it('does not call the consumer when every span was rejected', async () => {
    const { url, batches } = await start();
    const answer = await post(url, protobufOf([rawSpan('x', { spanId: Buffer.alloc(2) })]), { 'Content-Type': PROTOBUF });
    expect(protobufResponse(answer)).toMatchObject({ partialSuccess: { rejectedSpans: 1 } });
    expect(batches).toHaveLength(0);
  });
});

describe('bad requests get the OTLP status and a google.rpc.Status body in the request encoding', () => {
  it('400 for malformed protobuf', async () => {
    const { url } = await start();
    const answer = await post(url, protobufBody.subarray(0, protobufBody.length - 5), { 'Content-Type': PROTOBUF });
    expect(answer.status).toBe(400);
    const status = protobufStatus(answer);
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^malformed protobuf ExportTraceServiceRequest \(\d+ bytes, failed near byte \d+\): index out of range/);
  });

  it('400 for malformed JSON', async () => {
    const { url } = await start();
    const answer = await post(url, '{"resourceSpans": [', { 'Content-Type': JSON_TYPE });
    expect(answer.status).toBe(400);
    expect(jsonBody(answer)).toMatchObject({ code: 3, message: expect.stringMatching(/^malformed JSON: /) });
  });

  it('400 with a BadRequest field violation for a value of the wrong type', async () => {
    const { url } = await start();
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ kind: 'sideways' }] }] }] });
    const json = jsonBody(await post(url, body, { 'Content-Type': JSON_TYPE }));
    const field = 'resourceSpans[0].scopeSpans[0].spans[0].kind';
    expect(json.message).toBe(`${field}: expected an enum integer (or one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER), got the string "sideways"`);
    expect(json.details).toEqual([{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: expect.stringMatching(/^expected an enum integer/) }] }]);
  });

  it('400 for a body that is not valid gzip', async () => {
    const { url } = await start();
    const answer = await post(url, protobufBody, { 'Content-Type': PROTOBUF, 'Content-Encoding': 'gzip' });
    expect(answer.status).toBe(400);
    expect(protobufStatus(answer).message).toMatch(/^request body is not valid gzip \(Content-Encoding: gzip\): /);
  });

  it('415 for an unsupported or missing Content-Type, answered in JSON', async () => {
    const { url } = await start();
    const plain = await post(url, 'hello', { 'Content-Type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(jsonBody(plain)).toEqual({ code: 3, message: 'unsupported media type: Content-Type "text/plain"; supported: application/x-protobuf, application/json' });
    const none = await post(url, new Uint8Array([1]), {});
    expect(none.status).toBe(415);
    expect(jsonBody(none).message).toBe('unsupported media type: no Content-Type; supported: application/x-protobuf, application/json');
  });

  it('415 for an unsupported Content-Encoding, answered in the request encoding', async () => {
    const { url } = await start();
    const answer = await post(url, protobufBody, { 'Content-Type': PROTOBUF, 'Content-Encoding': 'br' });
    expect(answer.status).toBe(415);
    expect(protobufStatus(answer).message).toBe('unsupported Content-Encoding "br"; supported: gzip, identity');
  });

  it('413 for a body over maxRequestBytes, declared or streamed', async () => {
    const { url } = await start({ maxRequestBytes: 1024 });
    const declared = await post(url, new Uint8Array(2048), { 'Content-Type': PROTOBUF });
    expect(declared.status).toBe(413);
    expect(protobufStatus(declared).message).toBe('request body of 2048 bytes (Content-Length) exceeds the limit of 1024 bytes');

    const streamed = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'Content-Type': JSON_TYPE, 'Transfer-Encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(800, 0x20));
      req.end(Buffer.alloc(800, 0x20));
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body.toString())).toEqual({ code: 8, message: 'request body exceeds the limit of 1024 bytes' });
  });

  it('413 for a gzip bomb, without inflating more than the cap', async () => {
    const cap = 1024 * 1024;
    const { url } = await start({ maxDecompressedBytes: cap });
    const inflated = 128 * 1024 * 1024;
    const zero = Buffer.alloc(1024 * 1024);
    const bomb = Buffer.concat(await Readable.from(Array.from({ length: inflated / zero.length }, () => zero)).pipe(createGzip({ level: 9 })).toArray());
    expect(bomb.length).toBeLessThan(inflated / 500);

    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    const answer = await post(url, bomb, { 'Content-Type': PROTOBUF, 'Content-Encoding': 'gzip' });
    clearInterval(sampler);

    expect(answer.status).toBe(413);
    expect(protobufStatus(answer).message).toBe(`gzip request body inflates to more than the limit of ${cap} bytes (${bomb.length} bytes compressed)`);
    expect(peak - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('405 with Allow: POST for other methods on /v1/traces', async () => {
    const { url } = await start();
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.json()).toEqual({ code: 12, message: 'method GET not allowed on /v1/traces; use POST' });
  });

  it('404 for other paths', async () => {
    const { url } = await start();
    for (const path of ['/v1/metrics', '/v1/traces/', '/V1/TRACES']) {
      const answer = await post(new URL(path, url).href, protobufBody, { 'Content-Type': PROTOBUF });
      expect(answer.status).toBe(404);
      expect(protobufStatus(answer)).toMatchObject({ code: 5, message: `no such path ${path}; traces are accepted at POST /v1/traces` });
    }
  });

  it('keeps serving valid requests after every kind of bad one', async () => {
    const { url, batches } = await start({ maxRequestBytes: 4096, maxDecompressedBytes: 65_536 });
    const bad = [
      post(url, 'not protobuf at all \u0000\u00ff', { 'Content-Type': PROTOBUF }),
      post(url, '{', { 'Content-Type': JSON_TYPE }),
      post(url, 'x', { 'Content-Type': 'text/xml' }),
      post(url, new Uint8Array(8192), { 'Content-Type': PROTOBUF }),
      post(url, gzipSync(Buffer.alloc(1 << 20)), { 'Content-Type': PROTOBUF, 'Content-Encoding': 'gzip' }),
      post(url, protobufBody, { 'Content-Type': PROTOBUF, 'Content-Encoding': 'deflate' }),
    ];
    expect((await Promise.all(bad)).map((a) => a.status)).toEqual([400, 400, 415, 413, 413, 415]);
    const good = await post(url, protobufBody, { 'Content-Type': PROTOBUF });
    expect(good.status).toBe(200);
    expect(batches.flatMap((b) => b.spans)).toEqual(expected);
  });
});

describe('consumer and project errors', () => {
  it('429 with Retry-After when the pipeline is full', async () => {
    const { url } = await start({}, async () => {
      throw new BackpressureError('queue holds 200000 spans; retry later', 2.2);
    });
    const answer = await post(url, protobufBody, { 'Content-Type': PROTOBUF });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(protobufStatus(answer)).toMatchObject({ code: 8, message: 'queue holds 200000 spans; retry later' });
  });

  it('503 with Retry-After when storage is unavailable', async () => {
    const { url } = await start({}, async () => {
      throw new StorageUnavailableError('ClickHouse insert failed: connection refused', 5);
    });
    const answer = await post(url, jsonBodyBytes, { 'Content-Type': JSON_TYPE });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(jsonBody(answer)).toEqual({ code: 14, message: 'ClickHouse insert failed: connection refused' });
  });

  it('500 with the message for any other consumer error', async () => {
    const { url } = await start({}, async () => {
      throw new TypeError('cannot read properties of undefined');
    });
    const answer = await post(url, protobufBody, { 'Content-Type': PROTOBUF });
    expect(answer.status).toBe(500);
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(protobufStatus(answer)).toMatchObject({ code: 13, message: 'internal error: cannot read properties of undefined' });
  });

  it('401 when the project resolver does not know the caller', async () => {
    const { url, batches } = await start({
      projectId: ({ headers }) => {
        if (headers.authorization !== 'Bearer good') throw new UnauthenticatedError('unknown API key');
        return 'acme';
      },
    });
    const denied = await post(url, protobufBody, { 'Content-Type': PROTOBUF, Authorization: 'Bearer bad' });
    expect(denied.status).toBe(401);
    expect(protobufStatus(denied)).toMatchObject({ code: 16, message: 'unknown API key' });
    const allowed = await post(url, protobufBody, { 'Content-Type': PROTOBUF, Authorization: 'Bearer good' });
    expect(allowed.status).toBe(200);
    expect(batches).toHaveLength(1);
  });
});

describe('lifecycle and configuration', () => {
  it('stop() lets a request in flight finish', async () => {
    let release!: () => void;
    const stored = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const consumerReached = new Promise<void>((resolve) => (reached = resolve));
    const { receiver, url } = await start({}, async () => {
      reached();
      await stored;
    });
    const answer = post(url, protobufBody, { 'Content-Type': PROTOBUF });
    await consumerReached;
    const stopped = receiver.stop();
    release();
    expect((await answer).status).toBe(200);
    await stopped;
    await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
  });

  it('rejects invalid settings at construction, naming them', () => {
    const consumer = async () => {};
    expect(() => new OtlpHttpReceiver({ port: 70_000 }, consumer)).toThrow('invalid OTLP/HTTP receiver config: port: Number must be less than or equal to 65535 (got 70000)');
    expect(() => new OtlpHttpReceiver({ maxRequestBytes: 0, maxAttributesPerSpan: 1.5 }, consumer)).toThrow(
      'invalid OTLP/HTTP receiver config: maxRequestBytes: Number must be greater than 0 (got 0); maxAttributesPerSpan: Expected integer, received float (got 1.5)',
    );
    expect(() => new OtlpHttpReceiver({ portt: 1 } as OtlpHttpReceiverConfig, consumer)).toThrow("invalid OTLP/HTTP receiver config: (config): Unrecognized key(s) in object: 'portt'");
    expect(() => new OtlpHttpReceiver({ projectId: 'acme' as never }, consumer)).toThrow('projectId: expected a function (request) => project id (got "acme")');
  });

  it('says which address it cannot listen on', async () => {
    const { url } = await start();
    const port = Number(new URL(url).port);
    const second = new OtlpHttpReceiver({ port }, async () => {});
    await expect(second.start()).rejects.toThrow(`OTLP/HTTP receiver cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
  });
});
