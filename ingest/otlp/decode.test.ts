import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { FLOWTRACE } from '../../core/semconv.ts';
import {
  DEFAULT_SPAN_LIMITS,
  decodeExportTraceRequest,
  encodeExportTraceResponse,
  encodeRpcStatus,
  jsonRequestToProtobuf,
  OtlpDecodeError,
  type DecodeOptions,
} from './index.ts';
import { BadRequest, ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from './schema.ts';
import { emitAgentTrace, expectedRecord, recordSpans } from './test-support.ts';

const options: DecodeOptions = { projectId: 'acme', ...DEFAULT_SPAN_LIMITS };
const TRACE_ID = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
const utf8 = new TextEncoder();

function span(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { traceId: TRACE_ID, spanId: Buffer.from('eee19b7ec3c1b174', 'hex'), name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2', ...fields };
}

/** A protobuf request with one resource and one scope holding `spans`. */
function protobufRequest(spans: Record<string, unknown>[], resourceAttributes: unknown[] = []): Uint8Array {
  return ExportTraceServiceRequest.encode({
    resourceSpans: [{ resource: { attributes: resourceAttributes }, scopeSpans: [{ scope: { name: 'lib', version: '1' }, spans }] }],
  }).finish();
}

function jsonRequest(spans: unknown[]): Uint8Array {
  return utf8.encode(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));
}

function decodeError(run: () => unknown): OtlpDecodeError {
  try {
    run();
  } catch (err) {
    if (err instanceof OtlpDecodeError) return err;
    throw err;
  }
  throw new Error('expected an OtlpDecodeError');
}

describe('decodeExportTraceRequest with SDK-produced requests', () => {
  it('decodes protobuf and JSON from @opentelemetry/otlp-transformer to the same records the SDK spans describe', async () => {
    const spans = await recordSpans(emitAgentTrace);
    const expected = spans.map((s) => expectedRecord(s, 'acme'));
    for (const [encoding, body] of [
      ['protobuf', ProtobufTraceSerializer.serializeRequest(spans)!],
      ['json', JsonTraceSerializer.serializeRequest(spans)!],
    ] as const) {
      const result = decodeExportTraceRequest(body, encoding, options);
      expect(result.rejectedSpans).toBe(0);
      expect(result.messages).toEqual([]);
      expect(result.spans).toEqual(expected);
    }
  });

  it('re-encodes an OTLP/JSON request as protobuf that decodes to the same records', async () => {
    const spans = await recordSpans(emitAgentTrace);
    const json = JsonTraceSerializer.serializeRequest(spans)!;
    const protobuf = jsonRequestToProtobuf(json);
    expect(decodeExportTraceRequest(protobuf, 'protobuf', options)).toEqual(decodeExportTraceRequest(json, 'json', options));
  });
});

describe('attribute values are stored as the collector ClickHouse exporter stores them', () => {
  const cases: Array<[string, unknown, string]> = [
    ['string', { stringValue: 'a <b> & "c"' }, 'a <b> & "c"'],
    ['int', { intValue: '-42' }, '-42'],
    ['int64 beyond 2^53', { intValue: '9223372036854775807' }, '9223372036854775807'],
    ['int64 minimum', { intValue: '-9223372036854775808' }, '-9223372036854775808'],
    ['double', { doubleValue: 0.1 }, '0.1'],
    ['large double', { doubleValue: 1e21 }, '1e+21'],
    ['small double', { doubleValue: 1e-7 }, '1e-7'],
    ['negative zero', { doubleValue: -0 }, '-0'],
    ['NaN', { doubleValue: NaN }, 'NaN'],
    ['infinity', { doubleValue: -Infinity }, '-Infinity'],
    ['bool', { boolValue: false }, 'false'],
    ['bytes', { bytesValue: Buffer.from([0, 1, 254, 255]) }, 'AAH+/w=='],
    ['empty', {}, ''],
    ['array', { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 7 }, { doubleValue: 1.5 }, { boolValue: true }, {}] } }, '["x",7,1.5,true,null]'],
    [
      'kvlist (keys sorted, last duplicate wins, no HTML escaping, U+2028 escaped)',
      { kvlistValue: { values: [{ key: 'z', value: { stringValue: '<&>' } }, { key: 'a', value: { stringValue: 'l\u2028s' } }, { key: 'z', value: { intValue: 2 } }] } },
      '{"a":"l\\u2028s","z":2}',
    ],
    ['nested', { kvlistValue: { values: [{ key: 'k', value: { arrayValue: { values: [{ bytesValue: Buffer.from('hi') }] } } }] } }, '{"k":["aGk="]}'],
    ['array with NaN (Go json refuses it: empty)', { arrayValue: { values: [{ doubleValue: NaN }] } }, ''],
  ];

  it.each(cases)('%s', (_name, value, stored) => {
    const body = protobufRequest([span({ attributes: [{ key: 'v', value }] })]);
    expect(decodeExportTraceRequest(body, 'protobuf', options).spans[0].attributes).toEqual({ v: stored });
  });

  it('takes the last of several oneof fields on the wire, as protobuf requires', () => {
    // protobufjs' encoder writes every field that is set, in field order: string (1), then int (3).
    const body = protobufRequest([span({ attributes: [{ key: 'v', value: { stringValue: 'a', intValue: 5 } }] })]);
    expect(decodeExportTraceRequest(body, 'protobuf', options).spans[0].attributes).toEqual({ v: '5' });
  });

  it('keeps the AnyValue discriminator in a plain property (the decoder fast path)', () => {
    const decoded = ExportTraceServiceRequest.decode(protobufRequest([span({ attributes: [{ key: 'v', value: { boolValue: true } }] })])) as unknown as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ attributes: Array<{ value: object }> }> }> }>;
    };
    const value = decoded.resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value;
    expect(Object.getOwnPropertyDescriptor(value, 'value')).toMatchObject({ value: 'boolValue', writable: true });
  });

  it('reads the same values from OTLP/JSON (int64 as string or number, special doubles as strings)', () => {
    const attributes = [
      { key: 'i', value: { intValue: '9223372036854775807' } },
      { key: 'n', value: { intValue: 12 } },
      { key: 'd', value: { doubleValue: 'Infinity' } },
      { key: 'b', value: { bytesValue: 'AAH+/w==' } },
      { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '7' }] } } },
    ];
    const body = jsonRequest([{ traceId: TRACE_ID.toString('hex').toUpperCase(), spanId: 'eee19b7ec3c1b174', attributes }]);
    const [record] = decodeExportTraceRequest(body, 'json', options).spans;
    expect(record.traceId).toBe(TRACE_ID.toString('hex'));
    expect(record.attributes).toEqual({ i: '9223372036854775807', n: '12', d: 'Infinity', b: 'AAH+/w==', a: '["x",7]' });
  });
});

describe('span fields', () => {
  it('spells kinds and status codes like pdata and takes the service name from the resource', () => {
    const kinds = [0, 1, 2, 3, 4, 5].map((kind) => span({ kind, status: { code: kind % 3, message: `m${kind}` } }));
    const body = protobufRequest(kinds, [{ key: 'service.name', value: { stringValue: 'svc' } }]);
    const records = decodeExportTraceRequest(body, 'protobuf', options).spans;
    expect(records.map((r) => r.kind)).toEqual(['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']);
    expect(records.map((r) => r.statusCode)).toEqual(['Unset', 'Ok', 'Error', 'Unset', 'Ok', 'Error']);
    expect(records.map((r) => r.statusMessage)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(records.every((r) => r.serviceName === 'svc' && r.projectId === 'acme' && r.scopeName === 'lib')).toBe(true);
  });

  it("leaves serviceName empty when the resource has no service.name (as the exporter does)", () => {
    expect(decodeExportTraceRequest(protobufRequest([span()]), 'protobuf', options).spans[0].serviceName).toBe('');
  });

  it('keeps full 64-bit timestamps', () => {
    const body = protobufRequest([span({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '1700000000123456789' })]);
    const [record] = decodeExportTraceRequest(body, 'protobuf', options).spans;
    expect(record.startTimeUnixNano).toBe(2n ** 64n - 1n);
    expect(record.endTimeUnixNano).toBe(1_700_000_000_123_456_789n);
  });

  it('stores an unknown kind as Unspecified and says so', () => {
    const result = decodeExportTraceRequest(protobufRequest([span({ kind: 9 })]), 'protobuf', options);
    expect(result.spans[0].kind).toBe('Unspecified');
    expect(result.messages).toEqual(['unknown span kind 9 stored as Unspecified at resourceSpans[0].scopeSpans[0].spans[0].kind']);
  });

  it('treats an all-zero parent span id as a root span', () => {
    const body = protobufRequest([span({ parentSpanId: Buffer.alloc(8) })]);
    expect(decodeExportTraceRequest(body, 'protobuf', options).spans[0].parentSpanId).toBe('');
  });
});

describe('invalid ids reject only the spans that carry them', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['short trace id', { traceId: Buffer.alloc(5, 1) }, 'resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 5'],
    ['missing span id', { spanId: undefined }, 'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected 8 bytes, got 0'],
    ['all-zero trace id', { traceId: Buffer.alloc(16) }, 'resourceSpans[0].scopeSpans[0].spans[1].traceId: all zeros, which OTLP defines as invalid'],
    ['long parent id', { parentSpanId: Buffer.alloc(9, 1) }, 'resourceSpans[0].scopeSpans[0].spans[1].parentSpanId: expected 8 bytes, got 9'],
    [
      'link with a short trace id',
      { links: [{ traceId: Buffer.alloc(3, 1), spanId: Buffer.alloc(8, 1) }] },
      'resourceSpans[0].scopeSpans[0].spans[1].links[0].traceId: expected 16 bytes, got 3',
    ],
  ];

  it.each(bad)('%s', (_name, fields, message) => {
    const body = protobufRequest([span({ name: 'first' }), span({ name: 'bad', ...fields }), span({ name: 'last' })]);
    const result = decodeExportTraceRequest(body, 'protobuf', options);
    expect(result.spans.map((s) => s.name)).toEqual(['first', 'last']);
    expect(result.rejectedSpans).toBe(1);
    expect(result.messages).toEqual([`span rejected: ${message}`]);
  });

  it('counts every rejected span and names the first', () => {
    const spans = [span(), ...Array.from({ length: 4 }, () => span({ traceId: Buffer.alloc(5, 1) }))];
    const result = decodeExportTraceRequest(protobufRequest(spans), 'protobuf', options);
    expect(result.rejectedSpans).toBe(4);
    expect(result.spans).toHaveLength(1);
    expect(result.messages).toEqual(['span rejected: resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 16 bytes, got 5 (and 3 more like it)']);
  });

  it('applies the same rule to OTLP/JSON hex ids', () => {
    const body = jsonRequest([
      { traceId: 'aabbccddee', spanId: 'eee19b7ec3c1b174' },
      { traceId: TRACE_ID.toString('hex'), spanId: 'eee19b7ec3c1b174' },
    ]);
    const result = decodeExportTraceRequest(body, 'json', options);
    expect(result.rejectedSpans).toBe(1);
    expect(result.spans).toHaveLength(1);
    expect(result.messages).toEqual(['span rejected: resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 16 bytes, got 5']);
  });
});

describe('limits', () => {
  it('keeps the first maxAttributesPerSpan attributes and records how many were dropped', () => {
    const attributes = Array.from({ length: 10_000 }, (_, k) => ({ key: `k${k}`, value: { intValue: k } }));
    const result = decodeExportTraceRequest(protobufRequest([span({ attributes })]), 'protobuf', options);
    const kept = result.spans[0].attributes;
    const limit = DEFAULT_SPAN_LIMITS.maxAttributesPerSpan;
    expect(Object.keys(kept)).toHaveLength(limit + 1);
    expect(kept[`k${limit - 1}`]).toBe(String(limit - 1));
    expect(kept[`k${limit}`]).toBeUndefined();
    expect(kept[FLOWTRACE.ATTRIBUTES_DROPPED]).toBe(String(10_000 - limit));
    expect(result.rejectedSpans).toBe(0);
    expect(result.messages).toEqual([
      `${10_000 - limit} attributes over the limit of ${limit} per list dropped at resourceSpans[0].scopeSpans[0].spans[0] (recorded as ${FLOWTRACE.ATTRIBUTES_DROPPED})`,
    ]);
  });

  it('counts attributes dropped from events and links into the span total, with a configurable limit', () => {
    const attrs = (n: number) => Array.from({ length: n }, (_, k) => ({ key: `a${k}`, value: { boolValue: true } }));
    const body = protobufRequest([
      span({ attributes: attrs(3), events: [{ name: 'e', attributes: attrs(5) }], links: [{ traceId: TRACE_ID, spanId: Buffer.alloc(8, 2), attributes: attrs(4) }] }),
    ]);
    const [record] = decodeExportTraceRequest(body, 'protobuf', { ...options, maxAttributesPerSpan: 2 }).spans;
    expect(Object.keys(record.events[0].attributes)).toEqual(['a0', 'a1']);
    expect(Object.keys(record.links[0].attributes)).toEqual(['a0', 'a1']);
    expect(record.attributes[FLOWTRACE.ATTRIBUTES_DROPPED]).toBe(String(1 + 3 + 2));
  });

  it('truncates a 5 MB value to maxAttributeValueBytes and marks it', () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const result = decodeExportTraceRequest(protobufRequest([span({ attributes: [{ key: 'gen_ai.input.messages', value: { stringValue: huge } }] })]), 'protobuf', options);
    const value = result.spans[0].attributes['gen_ai.input.messages'];
    expect(value).toBe('x'.repeat(DEFAULT_SPAN_LIMITS.maxAttributeValueBytes) + FLOWTRACE.TRUNCATED_SUFFIX);
    expect(result.messages).toEqual([
      `attribute value of ${huge.length} bytes truncated to ${DEFAULT_SPAN_LIMITS.maxAttributeValueBytes} bytes (marked with "${FLOWTRACE.TRUNCATED_SUFFIX}") at resourceSpans[0].scopeSpans[0].spans[0].attributes["gen_ai.input.messages"]`,
    ]);
  });

  it('never splits a multi-byte character when truncating', () => {
    const body = protobufRequest([span({ attributes: [{ key: 'v', value: { stringValue: '€'.repeat(10) } }] })]);
    const [record] = decodeExportTraceRequest(body, 'protobuf', { ...options, maxAttributeValueBytes: 10 }).spans;
    // '€' is 3 bytes in UTF-8: three fit in 10 bytes.
    expect(record.attributes.v).toBe('€€€' + FLOWTRACE.TRUNCATED_SUFFIX);
  });

  it('leaves values exactly at the limit alone', () => {
    const body = protobufRequest([span({ attributes: [{ key: 'v', value: { stringValue: 'é'.repeat(8) } }] })]);
    const result = decodeExportTraceRequest(body, 'protobuf', { ...options, maxAttributeValueBytes: 16 });
    expect(result.spans[0].attributes.v).toBe('é'.repeat(8));
    expect(result.messages).toEqual([]);
  });
});

describe('invalid UTF-8 is repaired and reported, never silently', () => {
  it('replaces invalid bytes in protobuf strings with U+FFFD and names the field', () => {
    const body = Buffer.from(protobufRequest([span({ attributes: [{ key: 'note', value: { stringValue: 'fXXg' } }] })]));
    const at = body.indexOf('fXXg');
    body[at + 1] = 0xff;
    body[at + 2] = 0xfe;
    const result = decodeExportTraceRequest(body, 'protobuf', options);
    expect(result.spans[0].attributes.note).toBe('f\uFFFD\uFFFDg');
    expect(result.rejectedSpans).toBe(0);
    expect(result.messages).toEqual([
      'invalid UTF-8 replaced with U+FFFD in 1 string field(s): resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.stringValue',
    ]);
  });

  it('does not report a U+FFFD that was sent as valid UTF-8', () => {
    const result = decodeExportTraceRequest(protobufRequest([span({ name: 'a\uFFFDb' })]), 'protobuf', options);
    expect(result.spans[0].name).toBe('a\uFFFDb');
    expect(result.messages).toEqual([]);
  });

  it('repairs invalid UTF-8 bytes and unpaired surrogate escapes in JSON', () => {
    const text = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID.toString('hex'), spanId: 'eee19b7ec3c1b174', name: 'aXb', traceState: 'k=\ud800' }] }] }] });
    const body = Buffer.from(text); // JSON.stringify writes the lone surrogate as the escape \ud800
    body[body.indexOf('aXb') + 1] = 0xc3; // a lead byte with no continuation
    const result = decodeExportTraceRequest(body, 'json', options);
    expect(result.spans[0].name).toBe('a\uFFFDb');
    expect(result.spans[0].traceState).toBe('k=\uFFFD');
    expect(result.messages).toEqual([
      'invalid UTF-8 replaced with U+FFFD in 2 string field(s): resourceSpans[0].scopeSpans[0].spans[0].traceState, resourceSpans[0].scopeSpans[0].spans[0].name',
    ]);
  });
});

describe('malformed requests fail as a whole with a precise OtlpDecodeError', () => {
  it('truncated protobuf', () => {
    const body = protobufRequest([span()]);
    const err = decodeError(() => decodeExportTraceRequest(body.subarray(0, body.length - 3), 'protobuf', options));
    expect(err.message).toMatch(/^malformed protobuf ExportTraceServiceRequest \(\d+ bytes, failed near byte \d+\): index out of range/);
  });

  it('protobuf with an invalid wire type', () => {
    const err = decodeError(() => decodeExportTraceRequest(Uint8Array.from([0x0f, 0x01]), 'protobuf', options));
    expect(err.message).toBe('malformed protobuf ExportTraceServiceRequest (2 bytes, failed near byte 1): invalid wire type 7 at offset 1');
  });

  it('malformed JSON', () => {
    const err = decodeError(() => decodeExportTraceRequest(utf8.encode('{"resourceSpans": ['), 'json', options));
    expect(err.field).toBe('');
    expect(err.message).toMatch(/^malformed JSON: /);
  });

  const wrongTypes: Array<[string, unknown, string]> = [
    ['a kind name that does not exist', { kind: 'SPAN_KIND_BOGUS' }, 'resourceSpans[0].scopeSpans[0].spans[0].kind'],
    ['a non-numeric time', { startTimeUnixNano: 'yesterday' }, 'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano'],
    ['a negative time', { endTimeUnixNano: '-1' }, 'resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano'],
    ['a non-hex id', { traceId: 'zz' }, 'resourceSpans[0].scopeSpans[0].spans[0].traceId'],
    ['a number as the name', { name: 42 }, 'resourceSpans[0].scopeSpans[0].spans[0].name'],
    ['attributes as an object', { attributes: { k: 'v' } }, 'resourceSpans[0].scopeSpans[0].spans[0].attributes'],
    ['two oneof fields', { attributes: [{ key: 'k', value: { stringValue: 'a', intValue: 1 } }] }, 'resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value'],
  ];

  it.each(wrongTypes)('JSON with %s names the field', (_name, fields, field) => {
    const err = decodeError(() => decodeExportTraceRequest(jsonRequest([{ traceId: TRACE_ID.toString('hex'), spanId: 'eee19b7ec3c1b174', ...(fields as object) }]), 'json', options));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  it('accepts enum names, which proto3 JSON parsers accept', () => {
    const body = jsonRequest([{ traceId: TRACE_ID.toString('hex'), spanId: 'eee19b7ec3c1b174', kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR' } }]);
    const [record] = decodeExportTraceRequest(body, 'json', options).spans;
    expect([record.kind, record.statusCode]).toEqual(['Client', 'Error']);
  });

  it('ignores unknown JSON keys, including snake_case field names', () => {
    const body = jsonRequest([{ traceId: TRACE_ID.toString('hex'), spanId: 'eee19b7ec3c1b174', trace_state: 'ignored', futureField: { x: 1 } }]);
    expect(decodeExportTraceRequest(body, 'json', options).spans[0].traceState).toBe('');
  });
});

describe('response bodies', () => {
  it('encodes full success as an empty ExportTraceServiceResponse', () => {
    expect(encodeExportTraceResponse('protobuf')).toHaveLength(0);
    expect(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(encodeExportTraceResponse('protobuf')))).toEqual({});
    expect(new TextDecoder().decode(encodeExportTraceResponse('json'))).toBe('{}');
  });

  it('encodes partial success in both encodings', () => {
    const partial = { rejectedSpans: 3, errorMessage: 'span rejected: x' };
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(encodeExportTraceResponse('protobuf', partial)), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: partial });
    expect(JSON.parse(new TextDecoder().decode(encodeExportTraceResponse('json', partial)))).toEqual({ partialSuccess: { rejectedSpans: '3', errorMessage: 'span rejected: x' } });
    expect(JSON.parse(new TextDecoder().decode(encodeExportTraceResponse('json', { rejectedSpans: 0, errorMessage: 'warning' })))).toEqual({ partialSuccess: { errorMessage: 'warning' } });
  });

  it('encodes google.rpc.Status with a BadRequest detail', () => {
    const status = { code: 3, message: 'bad', fieldViolations: [{ field: 'resourceSpans[0]', description: 'expected an object' }] };
    const decoded = RpcStatus.toObject(RpcStatus.decode(encodeRpcStatus('protobuf', status)), { bytes: Buffer }) as { code: number; message: string; details: Array<{ typeUrl: string; value: Buffer }> };
    expect([decoded.code, decoded.message, decoded.details[0].typeUrl]).toEqual([3, 'bad', 'type.googleapis.com/google.rpc.BadRequest']);
    expect(BadRequest.toObject(BadRequest.decode(decoded.details[0].value))).toEqual({ fieldViolations: status.fieldViolations });
    expect(JSON.parse(new TextDecoder().decode(encodeRpcStatus('json', status)))).toEqual({
      code: 3,
      message: 'bad',
      details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: status.fieldViolations }],
    });
  });
});
