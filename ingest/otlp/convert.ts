// Decoded OTLP message → SpanRecords, one row each as the collector ClickHouse exporter
// would write it, with FlowTrace's per-span limits applied. Spans that cannot be stored
// (bad ids) are rejected one by one; everything changed on the way is reported.
import { FLOWTRACE, SERVICE_NAME } from '../../core/semconv.ts';
import type { Attributes, SpanEvent, SpanKindName, SpanLink, SpanRecord, StatusCodeName } from '../../core/span.ts';
import type { DecodeReport } from './report.ts';
import type { ExportTraceRequestMessage, KeyValueMessage, LinkMessage, SpanMessage } from './schema.ts';
import { anyValueToString, uint64ToBigInt } from './values.ts';

export interface SpanLimits {
  /** Attributes kept per attribute list (span, each event, each link, resource); the rest are dropped. */
  maxAttributesPerSpan: number;
  /** UTF-8 bytes kept of an attribute value (as stored, i.e. stringified); longer values are truncated. */
  maxAttributeValueBytes: number;
}

export interface DecodeOptions extends SpanLimits {
  /** Tenant every span of the request belongs to (from the API key, or 'default'). */
  projectId: string;
}

export const DEFAULT_SPAN_LIMITS: Readonly<SpanLimits> = Object.freeze({
  maxAttributesPerSpan: 1024,
  maxAttributeValueBytes: 256 * 1024,
});

// Indexed by the OTLP enum number; the spelling is pdata's String(), as the exporter stores it.
const SPAN_KINDS: readonly SpanKindName[] = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES: readonly StatusCodeName[] = ['Unset', 'Ok', 'Error'];
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const utf8Encoder = new TextEncoder();

type AttributeOwner = 'resource' | 'span' | 'event' | 'link';

interface ResourceContext {
  attributes: Readonly<Attributes>;
  serviceName: string;
}

export function toSpanRecords(message: ExportTraceRequestMessage, options: DecodeOptions, report: DecodeReport): SpanRecord[] {
  return new SpanConverter(options, report).convert(message);
}

class SpanConverter {
  // Where the converter is, so messages can name the exact path without building it per span.
  private r = 0;
  private s = 0;
  private i = 0;
  /** Attributes dropped from the current span's lists (span, events, links). */
  private dropped = 0;
  /** Values with at most this many UTF-16 units fit the byte limit whatever they contain. */
  private readonly safeValueLength: number;
  private truncationBuffer: Uint8Array | null = null;

  constructor(
    private readonly options: DecodeOptions,
    private readonly report: DecodeReport,
  ) {
    this.safeValueLength = Math.floor(options.maxAttributeValueBytes / 3);
  }

  convert(message: ExportTraceRequestMessage): SpanRecord[] {
    const records: SpanRecord[] = [];
    const resourceSpans = message.resourceSpans ?? [];
    for (this.r = 0; this.r < resourceSpans.length; this.r++) {
      const rs = resourceSpans[this.r];
      const resource = this.resource(rs.resource?.attributes);
      const scopeSpans = rs.scopeSpans ?? [];
      for (this.s = 0; this.s < scopeSpans.length; this.s++) {
        const ss = scopeSpans[this.s];
        const scopeName = ss.scope?.name ?? '';
        const scopeVersion = ss.scope?.version ?? '';
        const spans = ss.spans ?? [];
        for (this.i = 0; this.i < spans.length; this.i++) {
          const record = this.span(spans[this.i], resource, scopeName, scopeVersion);
          if (record) records.push(record);
        }
      }
    }
    return records;
  }

  private resource(list: KeyValueMessage[] | undefined): ResourceContext {
    this.dropped = 0;
    const attributes = this.attributes(list, 'resource', 0);
    if (this.dropped > 0) {
      this.report.note('resource attributes dropped', `${this.dropped} resource attributes over the limit of ${this.options.maxAttributesPerSpan} dropped at resourceSpans[${this.r}].resource`);
    }
    // Shared by every span of the resource, so frozen: a processor must not change one span's copy.
    return { attributes: Object.freeze(attributes), serviceName: attributes[SERVICE_NAME] ?? '' };
  }

  private span(span: SpanMessage, resource: ResourceContext, scopeName: string, scopeVersion: string): SpanRecord | null {
    const traceId = this.id(span.traceId, 16, 'traceId', false);
    if (traceId === null) return null;
    const spanId = this.id(span.spanId, 8, 'spanId', false);
    if (spanId === null) return null;
    const parentSpanId = this.id(span.parentSpanId, 8, 'parentSpanId', true);
    if (parentSpanId === null) return null;

    this.dropped = 0;
    const links = this.links(span.links);
    if (links === null) return null;
    const attributes = this.attributes(span.attributes, 'span', 0);
    const events = this.events(span);
    if (this.dropped > 0) {
      attributes[FLOWTRACE.ATTRIBUTES_DROPPED] = String(this.dropped);
      this.report.note(
        'span attributes dropped',
        `${this.dropped} attributes over the limit of ${this.options.maxAttributesPerSpan} per list dropped at ${this.where()} (recorded as ${FLOWTRACE.ATTRIBUTES_DROPPED})`,
      );
    }

    return {
      projectId: this.options.projectId,
      traceId,
      spanId,
      parentSpanId,
      traceState: span.traceState ?? '',
      name: span.name ?? '',
      kind: this.kind(span.kind ?? 0),
      startTimeUnixNano: uint64ToBigInt(span.startTimeUnixNano),
      endTimeUnixNano: uint64ToBigInt(span.endTimeUnixNano),
      serviceName: resource.serviceName,
      resourceAttributes: resource.attributes,
      scopeName,
      scopeVersion,
      attributes,
      statusCode: this.statusCode(span.status?.code ?? 0),
      statusMessage: span.status?.message ?? '',
      events,
      links,
    };
  }

  private events(span: SpanMessage): SpanEvent[] {
    const list = span.events ?? [];
    const events: SpanEvent[] = [];
    for (let e = 0; e < list.length; e++) {
      const event = list[e];
      events.push({
        timeUnixNano: uint64ToBigInt(event.timeUnixNano),
        name: event.name ?? '',
        attributes: this.attributes(event.attributes, 'event', e),
      });
    }
    return events;
  }

  /** The span's links, or null when one has an id of the wrong length (the span is rejected). */
  private links(list: LinkMessage[] | undefined): SpanLink[] | null {
    const links: SpanLink[] = [];
    if (!list) return links;
    for (let l = 0; l < list.length; l++) {
      const link = list[l];
      // The exporter stores an empty or all-zero link id as ''; other lengths are invalid.
      const traceId = this.id(link.traceId, 16, `links[${l}].traceId`, true);
      if (traceId === null) return null;
      const spanId = this.id(link.spanId, 8, `links[${l}].spanId`, true);
      if (spanId === null) return null;
      links.push({ traceId, spanId, traceState: link.traceState ?? '', attributes: this.attributes(link.attributes, 'link', l) });
    }
    return links;
  }

  /**
   * Lower-case hex of an id, '' for an absent or all-zero optional id, or null (after
   * rejecting the span) when the length is wrong or a required id is all zeros.
   */
  private id(bytes: Buffer | undefined, size: 16 | 8, field: string, optional: boolean): string | null {
    const length = bytes?.length ?? 0;
    if (length === size) {
      const hex = bytes!.toString('hex');
      if (hex !== (size === 16 ? ZERO_TRACE_ID : ZERO_SPAN_ID)) return hex;
      if (optional) return '';
      this.report.reject(`${field} zero`, `${this.where()}.${field}: all zeros, which OTLP defines as invalid`);
      return null;
    }
    if (length === 0 && optional) return '';
    this.report.reject(`${field} length`, `${this.where()}.${field}: expected ${size} bytes, got ${length}`);
    return null;
  }

  private attributes(list: KeyValueMessage[] | undefined, owner: AttributeOwner, index: number): Attributes {
    const attributes: Attributes = {};
    if (!list) return attributes;
    const kept = Math.min(list.length, this.options.maxAttributesPerSpan);
    this.dropped += list.length - kept;
    for (let k = 0; k < kept; k++) {
      const { key = '', value } = list[k];
      let text = anyValueToString(value);
      if (text.length > this.safeValueLength) text = this.truncate(text, key, owner, index);
      // A repeated key keeps its last value, like the exporter's map.
      if (key === '__proto__') Object.defineProperty(attributes, key, { value: text, enumerable: true, writable: true, configurable: true });
      else attributes[key] = text;
    }
    return attributes;
  }

  private truncate(text: string, key: string, owner: AttributeOwner, index: number): string {
    const limit = this.options.maxAttributeValueBytes;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= limit) return text;
    // encodeInto stops before a character that does not fit, so no code point is split.
    const { read } = utf8Encoder.encodeInto(text, (this.truncationBuffer ??= new Uint8Array(limit)));
    this.report.note(
      'value truncated',
      `attribute value of ${bytes} bytes truncated to ${limit} bytes (marked with "${FLOWTRACE.TRUNCATED_SUFFIX}") at ${this.attributesPath(owner, index)}[${JSON.stringify(key)}]`,
    );
    return text.slice(0, read) + FLOWTRACE.TRUNCATED_SUFFIX;
  }

  private kind(kind: number): SpanKindName {
    const name = SPAN_KINDS[kind];
    if (name) return name;
    this.report.note('unknown kind', `unknown span kind ${kind} stored as Unspecified at ${this.where()}.kind`);
    return 'Unspecified';
  }

  private statusCode(code: number): StatusCodeName {
    const name = STATUS_CODES[code];
    if (name) return name;
    this.report.note('unknown status', `unknown status code ${code} stored as Unset at ${this.where()}.status.code`);
    return 'Unset';
  }

  private where(): string {
    return `resourceSpans[${this.r}].scopeSpans[${this.s}].spans[${this.i}]`;
  }

  private attributesPath(owner: AttributeOwner, index: number): string {
    switch (owner) {
      case 'resource':
        return `resourceSpans[${this.r}].resource.attributes`;
      case 'span':
        return `${this.where()}.attributes`;
      case 'event':
        return `${this.where()}.events[${index}].attributes`;
      case 'link':
        return `${this.where()}.links[${index}].attributes`;
    }
  }
}
