// Span records for the processors' tests.
import type { Attributes, SpanEvent, SpanKindName, SpanRecord, StatusCodeName } from '../core/span.ts';

export interface SpanSketch {
  name?: string;
  kind?: SpanKindName;
  scopeName?: string;
  scopeVersion?: string;
  traceId?: string;
  spanId?: string;
  /** true: a child span (default); false: a root; a string: that parent span id. */
  parent?: boolean | string;
  statusCode?: StatusCodeName;
  statusMessage?: string;
  attributes?: Attributes;
  events?: Array<{ name: string; attributes?: Attributes }>;
  /** Span start, ISO 8601 (default 2026-03-10T12:00:00Z). */
  start?: string;
  durationMs?: number;
}

let nextSpan = 1;

/** A complete SpanRecord from the parts a test cares about. */
export function spanRecord(sketch: SpanSketch = {}): SpanRecord {
  const startNs = BigInt(Date.parse(sketch.start ?? '2026-03-10T12:00:00Z')) * 1_000_000n;
  const endNs = startNs + BigInt(Math.round((sketch.durationMs ?? 250) * 1e6));
  const parent = sketch.parent ?? true;
  const events: SpanEvent[] = (sketch.events ?? []).map((event) => ({
    timeUnixNano: startNs,
    name: event.name,
    attributes: event.attributes ?? {},
  }));
  return {
    projectId: 'default',
    traceId: sketch.traceId ?? '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: sketch.spanId ?? (nextSpan++).toString(16).padStart(16, '0'),
    parentSpanId: typeof parent === 'string' ? parent : parent ? '00f067aa0ba902b7' : '',
    traceState: '',
    name: sketch.name ?? 'span',
    kind: sketch.kind ?? 'Internal',
    startTimeUnixNano: startNs,
    endTimeUnixNano: endNs,
    serviceName: 'test-service',
    resourceAttributes: { 'service.name': 'test-service' },
    scopeName: sketch.scopeName ?? '',
    scopeVersion: sketch.scopeVersion ?? '',
    attributes: sketch.attributes ?? {},
    statusCode: sketch.statusCode ?? 'Unset',
    statusMessage: sketch.statusMessage ?? '',
    events,
    links: [],
  };
}

/**
 * Independent exact cost for tests: Σ tokens × price-per-million / 10^6, computed on
 * integers of 10^-9 USD per million tokens (prices with up to 9 decimals).
 */
export function expectedUsd(parts: Array<[tokens: number, pricePerMtok: string]>): string {
  let scaled = 0n; // USD × 10^15
  for (const [tokens, price] of parts) {
    const [whole, fraction = ''] = price.split('.');
    scaled += BigInt(tokens) * BigInt(whole! + fraction.padEnd(9, '0'));
  }
  const digits = scaled.toString().padStart(16, '0');
  const text = `${digits.slice(0, -15)}.${digits.slice(-15)}`.replace(/\.?0+$/, '');
  return text === '' ? '0' : text;
}
