import { describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from '../../ingest/otlp/schema.ts';
import { spansOfExportRequest } from '../../test/support/otlp-wire.ts';
import { fnv1a32, saramaCompatPartition } from './partitioner.ts';
import { splitByTraceId } from './split-by-trace.ts';

const id = (hex: string) => Buffer.from(hex, 'hex');
const T1 = 'aa'.repeat(16);
const T2 = 'bb'.repeat(16);
const T3 = 'cc'.repeat(16);

function span(traceId: string, n: number, name = `span ${n}`) {
  return { traceId: id(traceId), spanId: id(n.toString(16).padStart(16, '0')), name, kind: 1, startTimeUnixNano: 1, endTimeUnixNano: 2 };
}

function resource(service: string, scopes: Array<{ scope: string; spans: ReturnType<typeof span>[] }>) {
  return {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    schemaUrl: `https://schema/${service}`,
    scopeSpans: scopes.map((s) => ({ scope: { name: s.scope, version: '1.0' }, schemaUrl: `https://schema/${s.scope}`, spans: s.spans })),
  };
}

function encode(message: object): Buffer {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(message)).finish());
}

interface Decoded {
  resourceSpans: Array<{ resource: { attributes: Array<{ value: { stringValue: string } }> }; schemaUrl: string; scopeSpans: Array<{ scope: { name: string }; schemaUrl: string; spans: Array<{ name: string }> }> }>;
}

function decode(value: Buffer): Decoded {
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(value)) as Decoded;
}

/** service/scope/span names of a request, in order. */
function layout(value: Buffer): string[] {
  return decode(value).resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => `${rs.resource.attributes[0]!.value.stringValue}|${rs.schemaUrl}|${ss.scope.name}|${ss.schemaUrl}|${s.name}`)),
  );
}

describe('splitByTraceId', () => {
  const request = encode({
    resourceSpans: [
      resource('svc-a', [
        { scope: 'lib-1', spans: [span(T1, 1), span(T2, 2), span(T1, 3)] },
        { scope: 'lib-2', spans: [span(T2, 4)] },
      ]),
      resource('svc-b', [{ scope: 'lib-3', spans: [span(T3, 5), span(T1, 6)] }]),
    ],
  });

  it('gives one request per trace id with its resources, scopes and schema URLs, spans in order', () => {
    const parts = splitByTraceId(request, 1 << 20);

    expect(parts.map((p) => p.traceId)).toEqual([T1, T2, T3]);
    expect(layout(parts[0]!.value)).toEqual([
      'svc-a|https://schema/svc-a|lib-1|https://schema/lib-1|span 1',
      'svc-a|https://schema/svc-a|lib-1|https://schema/lib-1|span 3',
      'svc-b|https://schema/svc-b|lib-3|https://schema/lib-3|span 6',
    ]);
    expect(layout(parts[1]!.value)).toEqual([
      'svc-a|https://schema/svc-a|lib-1|https://schema/lib-1|span 2',
      'svc-a|https://schema/svc-a|lib-2|https://schema/lib-2|span 4',
    ]);
    expect(layout(parts[2]!.value)).toEqual(['svc-b|https://schema/svc-b|lib-3|https://schema/lib-3|span 5']);
    // Read back with an independent wire reader: every span once, under its own trace's key.
    const spans = parts.flatMap((p) => spansOfExportRequest(p.value).map((s) => ({ ...s, key: p.traceId })));
    expect(spans).toHaveLength(6);
    for (const s of spans) expect(s.traceId).toBe(s.key);
  });

  it('cuts a trace larger than the record limit into several records with the same key', () => {
    const big = encode({ resourceSpans: [resource('svc', [{ scope: 'lib', spans: Array.from({ length: 40 }, (_, i) => span(T1, i, `s${i}-${'x'.repeat(200)}`)) }])] });
    const parts = splitByTraceId(big, 2_000);

    expect(parts.length).toBeGreaterThan(4);
    for (const p of parts) {
      expect(p.traceId).toBe(T1);
      expect(p.value.length).toBeLessThanOrEqual(2_000);
    }
    const names = parts.flatMap((p) => layout(p.value).map((l) => l.split('|')[4]!.split('-')[0]));
    expect(names).toEqual(Array.from({ length: 40 }, (_, i) => `s${i}`));
  });

  it('refuses a single span larger than the record limit, naming the trace', () => {
    const big = encode({ resourceSpans: [resource('svc', [{ scope: 'lib', spans: [span(T2, 1, 'x'.repeat(5_000))] }])] });
    expect(() => splitByTraceId(big, 2_000)).toThrow(`a span of trace ${T2} is`);
  });

  it('gives nothing for a request without spans and throws on bytes that are not protobuf', () => {
    expect(splitByTraceId(Buffer.alloc(0), 1_000)).toEqual([]);
    expect(splitByTraceId(encode({ resourceSpans: [resource('svc', [])] }), 1_000)).toEqual([]);
    expect(() => splitByTraceId(Buffer.from([0x0a, 0x50, 0x01]), 1_000)).toThrow('runs past the end');
  });
});

describe('saramaCompatPartition', () => {
  it('hashes with 32-bit FNV-1a', () => {
    // Reference values of the FNV-1a 32-bit test suite.
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  it('takes the signed 32-bit remainder and drops its sign, as sarama does', () => {
    // 'foobar' hashes to 0xbf9cf968, as int32 -1080231576; % 7 = -4 → 4.
    expect(saramaCompatPartition(Buffer.from('foobar'), 7)).toBe(4);
    // 'a' → 0xe40c292c, as int32 -468965076; % 10 = -6 → 6.
    expect(saramaCompatPartition(Buffer.from('a'), 10)).toBe(6);
    expect(saramaCompatPartition(Buffer.from(T1), 1)).toBe(0);
  });
});
