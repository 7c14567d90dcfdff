// Reads span identities straight off the OTLP protobuf wire format, independently of
// FlowTrace's own decoder, so tests can check what a collector or producer really wrote.
import protobuf from 'protobufjs/minimal.js';

export interface WireSpan {
  traceId: string;
  spanId: string;
  name: string;
}

const LENGTH_DELIMITED = 2;

/** Calls `onField` for each field; the callback consumes the value or returns false to skip it. */
function readFields(reader: protobuf.Reader, end: number, onField: (field: number, wireType: number) => boolean): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (!onField(field, wireType)) reader.skipType(wireType);
  }
}

/** Opens a length-delimited sub-message and returns its end offset. */
function subMessageEnd(reader: protobuf.Reader): number {
  const length = reader.uint32();
  return reader.pos + length;
}

function readSpan(reader: protobuf.Reader, end: number): WireSpan {
  const span: WireSpan = { traceId: '', spanId: '', name: '' };
  readFields(reader, end, (field, wireType) => {
    if (wireType !== LENGTH_DELIMITED) return false;
    if (field === 1) span.traceId = Buffer.from(reader.bytes()).toString('hex');
    else if (field === 2) span.spanId = Buffer.from(reader.bytes()).toString('hex');
    else if (field === 5) span.name = reader.string();
    else return false;
    return true;
  });
  return span;
}

/**
 * The spans of one serialized ExportTraceServiceRequest (= TracesData):
 * resource_spans(1) → scope_spans(2) → spans(2) → trace_id(1), span_id(2), name(5).
 * Throws on bytes that are not valid protobuf.
 */
export function spansOfExportRequest(bytes: Uint8Array): WireSpan[] {
  const reader = protobuf.Reader.create(bytes);
  const spans: WireSpan[] = [];
  const nested = (wanted: number, inner: (end: number) => void) => (field: number, wireType: number) => {
    if (field !== wanted || wireType !== LENGTH_DELIMITED) return false;
    inner(subMessageEnd(reader));
    return true;
  };
  readFields(reader, bytes.length, nested(1, (resourceEnd) =>
    readFields(reader, resourceEnd, nested(2, (scopeEnd) =>
      readFields(reader, scopeEnd, nested(2, (spanEnd) => spans.push(readSpan(reader, spanEnd))))))));
  return spans;
}
