// OTLP/JSON → the decoded message shape, per the OTLP/HTTP "JSON Protobuf Encoding" rules:
// proto3 JSON mapping with lowerCamelCase keys only, trace/span ids as (case-insensitive)
// hex, enums as integers (names are accepted too, as proto3 parsers do), 64-bit integers
// as decimal strings or numbers, unknown keys ignored, null meaning "not set".
// Values of the wrong type fail the whole request with the path of the value.
import { isUtf8 } from 'node:buffer';
import { OtlpDecodeError } from './errors.ts';
import { asBuffer } from './protobuf.ts';
import { ExportTraceServiceRequest } from './schema.ts';
import type {
  AnyValueMessage,
  EntityRefMessage,
  EventMessage,
  ExportTraceRequestMessage,
  KeyValueMessage,
  LinkMessage,
  ParsedTraceRequest,
  ResourceSpansMessage,
  ScopeSpansMessage,
  SpanMessage,
} from './schema.ts';

type JsonObject = Record<string, unknown>;

/** Nesting limit for AnyValue arrays/kvlists (protobufjs' recursion limit for binary). */
const MAX_VALUE_DEPTH = 100;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DECIMAL_INTEGER = /^-?\d+$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
/** With the u flag a surrogate pair is one code point, so these match unpaired halves only. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;
const SPECIAL_DOUBLES: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

const SPAN_KIND_NAMES = enumNames('opentelemetry.proto.trace.v1.Span.SpanKind');
const STATUS_CODE_NAMES = enumNames('opentelemetry.proto.trace.v1.Status.StatusCode');
const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

function enumNames(fullName: string): Record<string, number> {
  return ExportTraceServiceRequest.root.lookupEnum(fullName).values;
}

export function parseJsonRequest(body: Uint8Array): ParsedTraceRequest {
  const bytes = asBuffer(body);
  const validUtf8 = isUtf8(bytes);
  let root: unknown;
  try {
    // Invalid UTF-8 sequences become U+FFFD here; they are reported, not rejected.
    root = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError('', `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const reader = new OtlpJsonReader();
  const message = reader.request(root);
  const repaired = !validUtf8 || reader.repairedSurrogates;
  return { message, isRepaired: repaired ? (text) => text.includes('\uFFFD') : null };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new OtlpDecodeError(path, `expected ${expected}, got ${describe(value)}`);
}

class OtlpJsonReader {
  /** Set when a string held an unpaired surrogate escape (stored as U+FFFD). */
  repairedSurrogates = false;

  request(value: unknown): ExportTraceRequestMessage {
    const o = this.object(value, '') ?? fail('', 'a JSON object (ExportTraceServiceRequest)', value);
    return { resourceSpans: this.list(o.resourceSpans, 'resourceSpans', (v, p) => this.resourceSpans(v, p)) };
  }

  private resourceSpans(value: unknown, path: string): ResourceSpansMessage {
    const o = this.object(value, path) ?? {};
    const resource = this.object(o.resource, `${path}.resource`);
    return {
      resource: resource && {
        attributes: this.attributes(resource.attributes, `${path}.resource.attributes`),
        droppedAttributesCount: this.uint32(resource.droppedAttributesCount, `${path}.resource.droppedAttributesCount`),
        entityRefs: this.list(resource.entityRefs, `${path}.resource.entityRefs`, (v, p) => this.entityRef(v, p)),
      },
      scopeSpans: this.list(o.scopeSpans, `${path}.scopeSpans`, (v, p) => this.scopeSpans(v, p)),
      schemaUrl: this.string(o.schemaUrl, `${path}.schemaUrl`),
    };
  }

  private entityRef(value: unknown, path: string): EntityRefMessage {
    const o = this.object(value, path) ?? {};
    return {
      schemaUrl: this.string(o.schemaUrl, `${path}.schemaUrl`),
      type: this.string(o.type, `${path}.type`),
      idKeys: this.list(o.idKeys, `${path}.idKeys`, (v, p) => this.string(v, p)),
      descriptionKeys: this.list(o.descriptionKeys, `${path}.descriptionKeys`, (v, p) => this.string(v, p)),
    };
  }

  private scopeSpans(value: unknown, path: string): ScopeSpansMessage {
    const o = this.object(value, path) ?? {};
    const scope = this.object(o.scope, `${path}.scope`);
    return {
      scope: scope && {
        name: this.string(scope.name, `${path}.scope.name`),
        version: this.string(scope.version, `${path}.scope.version`),
        attributes: this.attributes(scope.attributes, `${path}.scope.attributes`),
        droppedAttributesCount: this.uint32(scope.droppedAttributesCount, `${path}.scope.droppedAttributesCount`),
      },
      spans: this.list(o.spans, `${path}.spans`, (v, p) => this.span(v, p)),
      schemaUrl: this.string(o.schemaUrl, `${path}.schemaUrl`),
    };
  }

  private span(value: unknown, path: string): SpanMessage {
    const o = this.object(value, path) ?? {};
    const status = this.object(o.status, `${path}.status`);
    return {
      traceId: this.hexId(o.traceId, `${path}.traceId`),
      spanId: this.hexId(o.spanId, `${path}.spanId`),
      traceState: this.string(o.traceState, `${path}.traceState`),
      parentSpanId: this.hexId(o.parentSpanId, `${path}.parentSpanId`),
      flags: this.uint32(o.flags, `${path}.flags`),
      name: this.string(o.name, `${path}.name`),
      kind: this.enumValue(o.kind, `${path}.kind`, SPAN_KIND_NAMES),
      startTimeUnixNano: this.integer(o.startTimeUnixNano, `${path}.startTimeUnixNano`, 0n, UINT64_MAX),
      endTimeUnixNano: this.integer(o.endTimeUnixNano, `${path}.endTimeUnixNano`, 0n, UINT64_MAX),
      attributes: this.attributes(o.attributes, `${path}.attributes`),
      droppedAttributesCount: this.uint32(o.droppedAttributesCount, `${path}.droppedAttributesCount`),
      events: this.list(o.events, `${path}.events`, (v, p) => this.event(v, p)),
      droppedEventsCount: this.uint32(o.droppedEventsCount, `${path}.droppedEventsCount`),
      links: this.list(o.links, `${path}.links`, (v, p) => this.link(v, p)),
      droppedLinksCount: this.uint32(o.droppedLinksCount, `${path}.droppedLinksCount`),
      status: status && {
        message: this.string(status.message, `${path}.status.message`),
        code: this.enumValue(status.code, `${path}.status.code`, STATUS_CODE_NAMES),
      },
    };
  }

  private event(value: unknown, path: string): EventMessage {
    const o = this.object(value, path) ?? {};
    return {
      timeUnixNano: this.integer(o.timeUnixNano, `${path}.timeUnixNano`, 0n, UINT64_MAX),
      name: this.string(o.name, `${path}.name`),
      attributes: this.attributes(o.attributes, `${path}.attributes`),
      droppedAttributesCount: this.uint32(o.droppedAttributesCount, `${path}.droppedAttributesCount`),
    };
  }

  private link(value: unknown, path: string): LinkMessage {
    const o = this.object(value, path) ?? {};
    return {
      traceId: this.hexId(o.traceId, `${path}.traceId`),
      spanId: this.hexId(o.spanId, `${path}.spanId`),
      traceState: this.string(o.traceState, `${path}.traceState`),
      attributes: this.attributes(o.attributes, `${path}.attributes`),
      droppedAttributesCount: this.uint32(o.droppedAttributesCount, `${path}.droppedAttributesCount`),
      flags: this.uint32(o.flags, `${path}.flags`),
    };
  }

  private attributes(value: unknown, path: string, depth = 0): KeyValueMessage[] {
    return this.list(value, path, (v, p) => this.keyValue(v, p, depth));
  }

  private keyValue(value: unknown, path: string, depth: number): KeyValueMessage {
    const o = this.object(value, path) ?? {};
    const anyValue = this.object(o.value, `${path}.value`);
    return { key: this.string(o.key, `${path}.key`), value: anyValue && this.anyValue(anyValue, `${path}.value`, depth) };
  }

  private anyValue(o: JsonObject, path: string, depth: number): AnyValueMessage {
    if (depth > MAX_VALUE_DEPTH) throw new OtlpDecodeError(path, `values nested deeper than ${MAX_VALUE_DEPTH} levels`);
    const set = ANY_VALUE_FIELDS.filter((field) => o[field] != null);
    if (set.length > 1) throw new OtlpDecodeError(path, `more than one value field set (${set.join(', ')}); AnyValue is a oneof`);
    const field = set[0];
    const fieldPath = `${path}.${field}`;
    const v = o[field];
    switch (field) {
      case undefined:
        return {};
      case 'stringValue':
        return { value: field, stringValue: this.string(v, fieldPath) };
      case 'boolValue':
        return { value: field, boolValue: typeof v === 'boolean' ? v : fail(fieldPath, 'true or false', v) };
      case 'intValue':
        return { value: field, intValue: this.integer(v, fieldPath, INT64_MIN, INT64_MAX) };
      case 'doubleValue':
        return { value: field, doubleValue: this.double(v, fieldPath) };
      case 'bytesValue':
        return { value: field, bytesValue: this.base64(v, fieldPath) };
      case 'arrayValue': {
        const array = this.object(v, fieldPath) ?? {};
        const values = this.list(array.values, `${fieldPath}.values`, (item, p) => this.anyValue(this.object(item, p) ?? {}, p, depth + 1));
        return { value: field, arrayValue: { values } };
      }
      case 'kvlistValue': {
        const kvlist = this.object(v, fieldPath) ?? {};
        return { value: field, kvlistValue: { values: this.attributes(kvlist.values, `${fieldPath}.values`, depth + 1) } };
      }
    }
  }

  private object(value: unknown, path: string): JsonObject | undefined {
    if (value == null) return undefined;
    if (typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
    return fail(path, 'an object', value);
  }

  private list<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): T[] {
    if (value == null) return [];
    if (!Array.isArray(value)) fail(path, 'an array', value);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  }

  private string(value: unknown, path: string): string {
    if (value == null) return '';
    if (typeof value !== 'string') fail(path, 'a string', value);
    if (!LONE_SURROGATE.test(value)) return value;
    this.repairedSurrogates = true;
    return value.replace(LONE_SURROGATES, '\uFFFD');
  }

  /** Trace and span ids: hex of any length (the converter checks the length, per span). */
  private hexId(value: unknown, path: string): Buffer | undefined {
    if (value == null) return undefined;
    if (typeof value !== 'string' || !HEX.test(value)) fail(path, 'a hex-encoded id', value);
    return Buffer.from(value, 'hex');
  }

  private base64(value: unknown, path: string): Buffer {
    if (typeof value !== 'string' || !BASE64.test(value)) fail(path, 'base64-encoded bytes', value);
    return Buffer.from(value, 'base64');
  }

  /** A 64-bit integer as a canonical decimal string, from a JSON string or number. */
  private integer(value: unknown, path: string, min: bigint, max: bigint): string {
    if (value == null) return '0';
    let n: bigint;
    if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) n = BigInt(value);
    else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else return fail(path, 'an integer (decimal string or number)', value);
    if (n < min || n > max) throw new OtlpDecodeError(path, `${value} is out of range [${min}, ${max}]`);
    return n.toString();
  }

  private uint32(value: unknown, path: string): number {
    return Number(this.integer(value, path, 0n, 0xffffffffn));
  }

  private double(value: unknown, path: string): number {
    if (typeof value === 'number') return value;
    if (typeof value === 'string') {
      if (Object.hasOwn(SPECIAL_DOUBLES, value)) return SPECIAL_DOUBLES[value];
      const n = Number(value);
      if (value.trim() !== '' && Number.isFinite(n)) return n;
    }
    return fail(path, 'a number (or "NaN", "Infinity", "-Infinity")', value);
  }

  private enumValue(value: unknown, path: string, names: Record<string, number>): number {
    if (value == null) return 0;
    if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value;
    if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value];
    return fail(path, `an enum integer (or one of ${Object.keys(names).join(', ')})`, value);
  }
}
