// EnrichedSpan → JSONEachRow for otel_traces and span_facts. This runs for every span
// ingested. Measured on this code: JSON.stringify of one flat object per row is several
// times faster than concatenating escaped fields (V8's serializer writes one flat string;
// concatenation builds ropes the GC then has to chase), so each row is the serializer's
// output with the integer columns spliced in front.
//
// DateTime64(9) values are written as unquoted integers: ClickHouse reads an integer for
// a DateTime64 as ticks of the column's precision (nanoseconds here) in UTC, which is
// exact and independent of the server's time zone. Quoted or decimal-seconds forms are
// not: "5", "0.5" or "99999.1" are read as dates or rejected.
import type { EnrichedSpan } from '../core/span.ts';
import { FLOWTRACE, GEN_AI } from '../core/semconv.ts';

export interface SpanRows {
  /** otel_traces rows, one JSON object per line. */
  traces: Buffer;
  /** span_facts rows, one JSON object per line. */
  facts: Buffer;
}

export function serializeSpans(spans: readonly EnrichedSpan[]): SpanRows {
  return { traces: otelTracesRows(spans), facts: spanFactsRows(spans) };
}

export function otelTracesRows(spans: readonly EnrichedSpan[]): Buffer {
  return encodeRows(spans, otelTracesRow);
}

export function spanFactsRows(spans: readonly EnrichedSpan[]): Buffer {
  return encodeRows(spans, spanFactsRow);
}

/**
 * A row in two parts: the integer columns as JSON members (`"A":1,"B":2`, ASCII) and
 * JSON.stringify's object with all other columns. They are written into the batch
 * Buffer one after the other and joined by overwriting the object's `{` with `,`,
 * so no string is ever concatenated or flattened: building the batch as one string
 * makes a rope of thousands of parts that costs more to flatten than to serialise.
 */
interface RowParts {
  numbers: string;
  json: string;
}

function encodeRows(spans: readonly EnrichedSpan[], row: (span: EnrichedSpan) => RowParts): Buffer {
  let buffer = Buffer.allocUnsafe(spans.length * 1024 + 1024);
  let length = 0;
  for (const span of spans) {
    const { numbers, json } = row(span);
    const tail = wellFormedJson(json);
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; +2 for `{` and the newline.
    const worst = numbers.length + tail.length * 3 + 2;
    if (length + worst > buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + worst));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    buffer[length++] = 0x7b; // {
    length += buffer.write(numbers, length, 'latin1');
    const joint = length;
    length += buffer.write(tail, length, 'utf8');
    buffer[joint] = 0x2c; // the object's `{` becomes `,`
    buffer[length++] = 0x0a;
  }
  return buffer.subarray(0, length);
}

/** Most spans have no events or links: share one empty array instead of allocating six. */
const NONE: readonly never[] = [];

/** One otel_traces row with the collector ClickHouse exporter's column semantics. */
export function otelTracesRow(s: EnrichedSpan): RowParts {
  const hasEvents = s.events.length > 0;
  const hasLinks = s.links.length > 0;
  let eventTimes = '';
  for (const e of s.events) eventTimes += (eventTimes === '' ? '' : ',') + e.timeUnixNano;
  return {
    numbers: '"Timestamp":' + s.startTimeUnixNano + ',"Duration":' + durationNs(s) + ',"Events.Timestamp":[' + eventTimes + ']',
    json: JSON.stringify({
      TraceId: s.traceId,
      SpanId: s.spanId,
      ParentSpanId: s.parentSpanId,
      TraceState: s.traceState,
      SpanName: s.name,
      SpanKind: s.kind,
      ServiceName: s.serviceName,
      ResourceAttributes: s.resourceAttributes,
      ScopeName: s.scopeName,
      ScopeVersion: s.scopeVersion,
      SpanAttributes: s.attributes,
      StatusCode: s.statusCode,
      StatusMessage: s.statusMessage,
      'Events.Name': hasEvents ? s.events.map((e) => e.name) : NONE,
      'Events.Attributes': hasEvents ? s.events.map((e) => e.attributes) : NONE,
      'Links.TraceId': hasLinks ? s.links.map((l) => l.traceId) : NONE,
      'Links.SpanId': hasLinks ? s.links.map((l) => l.spanId) : NONE,
      'Links.TraceState': hasLinks ? s.links.map((l) => l.traceState) : NONE,
      'Links.Attributes': hasLinks ? s.links.map((l) => l.attributes) : NONE,
      ProjectId: s.projectId,
    }),
  };
}

/** One span_facts row: every column of 003_span_facts.sql. */
export function spanFactsRow(s: EnrichedSpan): RowParts {
  const { genai, run, cost, failure } = s;
  const usage = genai.usage;
  return {
    numbers:
      '"Timestamp":' + s.startTimeUnixNano +
      ',"EndTime":' + s.endTimeUnixNano +
      ',"DurationNs":' + durationNs(s) +
      ',"CostUsd":' + decimal(cost?.usd, s) +
      ',"SavedCostUsd":' + decimal(cost?.savedUsd, s),
    json: JSON.stringify({
      ProjectId: s.projectId,
      TraceId: s.traceId,
      SpanId: s.spanId,
      ParentSpanId: s.parentSpanId,
      SpanName: s.name,
      ServiceName: s.serviceName,
      Role: run.role,
      RunId: run.runId,
      StepId: run.stepId,
      NodeId: run.nodeId,
      NodeType: run.nodeType,
      WorkflowId: run.workflowId,
      WorkflowVersion: run.workflowVersion,
      WorkflowName: s.attributes[GEN_AI.WORKFLOW_NAME] ?? '',
      SemanticLabel: run.semanticLabel,
      RouterBranch: s.attributes[FLOWTRACE.ROUTER_BRANCH] ?? '',
      Operation: genai.operation,
      Provider: genai.provider,
      RequestModel: genai.requestModel,
      ResponseModel: genai.responseModel,
      Dialect: genai.dialect,
      IsInference: genai.isInference ? 1 : 0,
      InputTokens: count(usage?.input),
      OutputTokens: count(usage?.output),
      CacheReadTokens: count(usage?.cacheRead),
      CacheWriteTokens: count(usage?.cacheWrite),
      ReasoningTokens: count(usage?.reasoning),
      CostStatus: cost?.status ?? '',
      CostReason: cost?.reason ?? '',
      PriceRef: cost?.priceRef ?? '',
      Attempt: attempt(run.attempt),
      FallbackFrom: run.fallbackFrom,
      CacheHit: run.cacheHit ? 1 : 0,
      StatusCode: s.statusCode,
      StatusMessage: s.statusMessage,
      ErrorType: genai.errorType,
      FailureClass: failure?.failureClass ?? '',
      FailureReason: failure?.reason ?? '',
      FailureEvidence: failure?.evidence ?? '',
    }),
  };
}

/**
 * JSON.stringify escapes a lone UTF-16 surrogate (possible in attribute values cut by
 * length, or sent by buggy clients) as `\udXXX`, which ClickHouse rejects — for the
 * whole batch. Valid pairs are written raw, so any such escape is a lone surrogate:
 * replace it with U+FFFD, as a UTF-8 encoder would. The match skips escaped backslashes
 * (`\\ud800` is the text "\ud800", not an escape).
 */
function wellFormedJson(json: string): string {
  if (!json.includes('\\ud')) return json;
  return json.replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g, '$1\\ufffd');
}

function durationNs(s: EnrichedSpan): bigint {
  const d = s.endTimeUnixNano - s.startTimeUnixNano;
  return d > 0n ? d : 0n;
}

/** Token counts: non-negative integers; absent or invalid counts are 0 (the column is UInt64). */
function count(n: number | undefined): number {
  return n !== undefined && n > 0 && Number.isFinite(n) ? Math.floor(n) : 0;
}

function attempt(n: number): number {
  return n > 0 && Number.isFinite(n) ? Math.min(Math.floor(n), 65535) : 0;
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** Costs are decimal strings, written as unquoted JSON numbers so ClickHouse parses them exactly. */
function decimal(value: string | null | undefined, s: EnrichedSpan): string {
  if (value === null || value === undefined) return 'null';
  if (!DECIMAL.test(value)) {
    throw new TypeError(`span ${s.traceId}/${s.spanId}: cost ${JSON.stringify(value)} is not a decimal string`);
  }
  return value;
}
