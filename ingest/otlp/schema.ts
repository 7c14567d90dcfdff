// The OTLP trace messages as protobufjs types, loaded once from ./proto, and the
// TypeScript shape of a decoded request. Both decoders (binary protobuf and OTLP/JSON)
// produce this shape, so one converter turns either into SpanRecords.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

const root = new protobuf.Root();
root.loadSync(['trace_service.proto', 'status.proto'].map((file) => PROTO_DIR + file));
root.resolveAll();

plainOneofDiscriminator(root.lookupType('opentelemetry.proto.common.v1.AnyValue'), 'value');

export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const RpcStatus = root.lookupType('google.rpc.Status');
export const BadRequest = root.lookupType('google.rpc.BadRequest');

/**
 * protobufjs keeps a oneof's discriminator (`AnyValue.value`) behind a setter that deletes
 * every sibling field on each assignment: a quarter of the decode time of attribute-heavy
 * spans. This regenerates the type's decoder so that its messages hold the discriminator
 * in a plain property (the generated code assigns it all the same).
 */
function plainOneofDiscriminator(type: protobuf.Type, oneof: string): void {
  type.setup();
  function PlainDiscriminatorMessage(): void {}
  PlainDiscriminatorMessage.prototype = Object.create(type.ctor.prototype, { [oneof]: { value: undefined, writable: true } });
  const types = type.fieldsArray.map((field) => field.resolve().resolvedType);
  type.decode = protobuf.decoder(type)({ Reader: protobuf.Reader, types, util: protobuf.util, C: PlainDiscriminatorMessage }) as typeof type.decode;
}

/** The two OTLP/HTTP payload encodings (Content-Type application/x-protobuf and application/json). */
export type OtlpEncoding = 'protobuf' | 'json';

/** The two 32-bit halves of a 64-bit integer, as protobufjs' Long carries them. */
export interface Int64Bits {
  low: number;
  high: number;
}

/**
 * A 64-bit integer as the decoders leave it: protobufjs yields a Long, OTLP/JSON a
 * canonical decimal string (JSON numbers are converted to one).
 */
export type Int64 = Int64Bits | string;

export interface AnyValueMessage {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values?: AnyValueMessage[] } | null;
  kvlistValue?: { values?: KeyValueMessage[] } | null;
  bytesValue?: Buffer | null;
  /** The oneof discriminator: the name of the field that is set (protobufjs' convention). */
  value?: string;
}

export interface KeyValueMessage {
  key?: string;
  value?: AnyValueMessage | null;
}

export interface EntityRefMessage {
  schemaUrl?: string;
  type?: string;
  idKeys?: string[];
  descriptionKeys?: string[];
}

export interface EventMessage {
  timeUnixNano?: Int64 | null;
  name?: string;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
}

export interface LinkMessage {
  traceId?: Buffer;
  spanId?: Buffer;
  traceState?: string;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface SpanMessage {
  traceId?: Buffer;
  spanId?: Buffer;
  traceState?: string;
  parentSpanId?: Buffer;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Int64 | null;
  endTimeUnixNano?: Int64 | null;
  attributes?: KeyValueMessage[];
  droppedAttributesCount?: number;
  events?: EventMessage[];
  droppedEventsCount?: number;
  links?: LinkMessage[];
  droppedLinksCount?: number;
  status?: { message?: string; code?: number } | null;
}

export interface ScopeSpansMessage {
  scope?: { name?: string; version?: string; attributes?: KeyValueMessage[]; droppedAttributesCount?: number } | null;
  spans?: SpanMessage[];
  schemaUrl?: string;
}

export interface ResourceSpansMessage {
  resource?: { attributes?: KeyValueMessage[]; droppedAttributesCount?: number; entityRefs?: EntityRefMessage[] } | null;
  scopeSpans?: ScopeSpansMessage[];
  schemaUrl?: string;
}

export interface ExportTraceRequestMessage {
  resourceSpans?: ResourceSpansMessage[];
}

/** A request decoded from either encoding, before conversion to SpanRecords. */
export interface ParsedTraceRequest {
  message: ExportTraceRequestMessage;
  /** Tells the strings that were repaired from invalid UTF-8; null when none were. */
  isRepaired: ((text: string) => boolean) | null;
}
