// Splits one serialized ExportTraceServiceRequest into one request per trace id, the way the
// collector's Kafka exporter does with `partition_traces_by_id` (batchpersignal.SplitTraces):
// each trace keeps its resource and scope (with their schema URLs), spans keep their order.
// It works on the wire format, copying the bytes of each span and header untouched, so no
// attribute is decoded or re-encoded on the way (and nothing can change in transit).
import protobuf from 'protobufjs/minimal.js';

export interface TraceRequest {
  /** Lower-case hex trace id, '' for spans without one (the collector's key for those). */
  traceId: string;
  /** ExportTraceServiceRequest protobuf holding only this trace's spans. */
  value: Buffer;
}

const LENGTH_DELIMITED = 2;
// Field numbers: ExportTraceServiceRequest.resource_spans, ResourceSpans.scope_spans,
// ScopeSpans.spans, Span.trace_id.
const RESOURCE_SPANS = 1;
const SCOPE_SPANS = 2;
const SPANS = 2;
const TRACE_ID = 1;

/** Bytes added around a sub-message: a tag and a length varint (at most 5 bytes each here). */
const FRAME_BYTES = 10;

/** A span list under one scope header, inside one resource header. */
interface ScopeGroup {
  header: Buffer[];
  spans: Buffer[];
}

interface ResourceGroup {
  header: Buffer[];
  headerBytes: number;
  scopes: ScopeGroup[];
}

/** One trace's share of the request, resource by resource. */
interface TraceParts {
  resources: ResourceGroup[];
}

interface FieldSlice {
  field: number;
  /** The whole field: tag, length and content. */
  raw: Buffer;
  /** The content of a length-delimited field. */
  content: Buffer;
}

/** Visits the top-level fields of `message`, giving each with its raw bytes. Throws on malformed input. */
function eachField(message: Buffer, visit: (slice: FieldSlice) => void): void {
  const reader = protobuf.Reader.create(message);
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wireType = tag & 7;
    let contentStart = reader.pos;
    if (wireType === LENGTH_DELIMITED) {
      const length = reader.uint32();
      contentStart = reader.pos;
      if (contentStart + length > reader.len) throw new RangeError(`length ${length} at byte ${start} runs past the end`);
      reader.pos += length;
    } else {
      reader.skipType(wireType);
    }
    visit({ field: tag >>> 3, raw: message.subarray(start, reader.pos), content: message.subarray(contentStart, reader.pos) });
  }
}

function traceIdOf(span: Buffer): string {
  let traceId = '';
  eachField(span, (f) => {
    if (f.field === TRACE_ID) traceId = f.content.toString('hex');
  });
  return traceId;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return bytes;
}

/** A length-delimited field holding `parts`. */
function frame(field: number, parts: Buffer[]): Buffer[] {
  let length = 0;
  for (const p of parts) length += p.length;
  return [Buffer.from([...varint((field << 3) | LENGTH_DELIMITED), ...varint(length)]), ...parts];
}

/** Groups the request's spans by trace id, in order of first appearance. */
function groupByTrace(request: Buffer): Map<string, TraceParts> {
  const traces = new Map<string, TraceParts>();
  eachField(request, (rs) => {
    if (rs.field !== RESOURCE_SPANS) return;
    const resourceHeader: Buffer[] = [];
    const scopeSlices: Buffer[] = [];
    eachField(rs.content, (f) => (f.field === SCOPE_SPANS ? scopeSlices.push(f.content) : resourceHeader.push(f.raw)));
    const headerBytes = bytesOf(resourceHeader);
    const resourceOf = new Map<string, ResourceGroup>();
    for (const scope of scopeSlices) {
      const scopeHeader: Buffer[] = [];
      const scopeOf = new Map<string, ScopeGroup>();
      eachField(scope, (f) => {
        if (f.field !== SPANS) return void scopeHeader.push(f.raw);
        const traceId = traceIdOf(f.content);
        let group = scopeOf.get(traceId);
        if (!group) {
          group = { header: scopeHeader, spans: [] };
          scopeOf.set(traceId, group);
          let resource = resourceOf.get(traceId);
          if (!resource) {
            resource = { header: resourceHeader, headerBytes, scopes: [] };
            resourceOf.set(traceId, resource);
            let trace = traces.get(traceId);
            if (!trace) traces.set(traceId, (trace = { resources: [] }));
            trace.resources.push(resource);
          }
          resource.scopes.push(group);
        }
        group.spans.push(f.raw);
      });
    }
  });
  return traces;
}

function bytesOf(parts: Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** Spans being packed into one record: resource → scope → spans, in order. */
class RecordBuilder {
  private readonly resources: Array<{ group: ResourceGroup; scopes: Array<{ group: ScopeGroup; spans: Buffer[] }> }> = [];
  /** Upper bound of the encoded size. */
  size = 0;

  /** Bytes `span` would add under `resource`/`scope`, headers included when they are new here. */
  cost(resource: ResourceGroup, scope: ScopeGroup, span: Buffer): number {
    const lastResource = this.resources.at(-1);
    if (lastResource?.group !== resource) return resource.headerBytes + bytesOf(scope.header) + 2 * FRAME_BYTES + span.length;
    if (lastResource.scopes.at(-1)?.group !== scope) return bytesOf(scope.header) + FRAME_BYTES + span.length;
    return span.length;
  }

  add(resource: ResourceGroup, scope: ScopeGroup, span: Buffer): void {
    this.size += this.cost(resource, scope, span);
    let lastResource = this.resources.at(-1);
    if (lastResource?.group !== resource) this.resources.push((lastResource = { group: resource, scopes: [] }));
    let lastScope = lastResource.scopes.at(-1);
    if (lastScope?.group !== scope) lastResource.scopes.push((lastScope = { group: scope, spans: [] }));
    lastScope.spans.push(span);
  }

  get empty(): boolean {
    return this.resources.length === 0;
  }

  encode(): Buffer {
    const parts = this.resources.flatMap((r) =>
      frame(RESOURCE_SPANS, [...r.group.header, ...r.scopes.flatMap((s) => frame(SCOPE_SPANS, [...s.group.header, ...s.spans]))]),
    );
    return Buffer.concat(parts);
  }
}

/**
 * Encodes one trace, cutting it into several requests (same key) when it would exceed
 * `maxBytes`; a single span larger than that is refused, as the broker would refuse it.
 */
function encodeTrace(traceId: string, trace: TraceParts, maxBytes: number): TraceRequest[] {
  const out: TraceRequest[] = [];
  let record = new RecordBuilder();
  for (const resource of trace.resources) {
    for (const scope of resource.scopes) {
      for (const span of scope.spans) {
        if (!record.empty && record.size + record.cost(resource, scope, span) > maxBytes) {
          out.push({ traceId, value: record.encode() });
          record = new RecordBuilder();
        }
        if (record.cost(resource, scope, span) > maxBytes) {
          throw new RangeError(`a span of trace ${traceId || '(none)'} is ${span.length} bytes, more than the ${maxBytes}-byte Kafka record limit`);
        }
        record.add(resource, scope, span);
      }
    }
  }
  if (!record.empty) out.push({ traceId, value: record.encode() });
  return out;
}

/**
 * One ExportTraceServiceRequest per trace id (several for a trace larger than `maxBytes`).
 * Throws on bytes that are not a well-formed request.
 */
export function splitByTraceId(request: Uint8Array, maxBytes: number): TraceRequest[] {
  const bytes = Buffer.isBuffer(request) ? request : Buffer.from(request.buffer, request.byteOffset, request.byteLength);
  const out: TraceRequest[] = [];
  for (const [traceId, trace] of groupByTrace(bytes)) out.push(...encodeTrace(traceId, trace, maxBytes));
  return out;
}
