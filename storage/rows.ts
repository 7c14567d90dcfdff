// EnrichedSpan → rows for otel_traces, span_facts and otel_traces_trace_id_ts, in
// JSONCompactEachRow (one JSON array per row, columns named once in the INSERT). This runs for every span ingested;
// measured here:
//  * the compact format costs the engine 20–35 % less to parse than JSONEachRow (no key
//    per value) and is half the bytes for span_facts;
//  * JSON.stringify of one array per row is several times faster than concatenating
//    escaped fields (V8 writes one flat string; concatenation builds ropes the GC then
//    chases), so each row is the serializer's output with the integer columns in front.
//
// DateTime64(9) values are written as unquoted integers: ClickHouse reads an integer for
// a DateTime64 as ticks of the column's precision (nanoseconds here) in UTC, which is
// exact and independent of the server's time zone. Quoted or decimal-seconds forms are
// not: "5", "0.5" or "99999.1" are read as dates or rejected.
import type { EnrichedSpan } from '../core/span.ts';
import { FLOWTRACE, GEN_AI } from '../core/semconv.ts';

export const ROW_FORMAT = 'JSONCompactEachRow';

/** Column order of otelTracesRow: the integer columns, then the JSON array's. */
export const OTEL_TRACES_COLUMNS: readonly string[] = [
  'Timestamp', 'Duration', 'Events.Timestamp',
  'TraceId', 'SpanId', 'ParentSpanId', 'TraceState', 'SpanName', 'SpanKind', 'ServiceName', 'ResourceAttributes',
  'ScopeName', 'ScopeVersion', 'SpanAttributes', 'StatusCode', 'StatusMessage', 'Events.Name', 'Events.Attributes',
  'Links.TraceId', 'Links.SpanId', 'Links.TraceState', 'Links.Attributes', 'ProjectId',
];

/** Column order of spanFactsRow: the integer and decimal columns, then the JSON array's. */
export const SPAN_FACTS_COLUMNS: readonly string[] = [
  'Timestamp', 'EndTime', 'DurationNs', 'CostUsd', 'SavedCostUsd',
  'ProjectId', 'TraceId', 'SpanId', 'ParentSpanId', 'SpanName', 'ServiceName', 'Role', 'RunId', 'StepId', 'NodeId',
  'NodeType', 'WorkflowId', 'WorkflowVersion', 'WorkflowName', 'SemanticLabel', 'RouterBranch', 'Operation', 'Provider',
  'RequestModel', 'ResponseModel', 'Dialect', 'IsInference', 'InputTokens', 'OutputTokens', 'CacheReadTokens',
  'CacheWriteTokens', 'ReasoningTokens', 'CostStatus', 'CostReason', 'PriceRef', 'Attempt', 'FallbackFrom', 'CacheHit',
  'StatusCode', 'StatusMessage', 'ErrorType', 'FailureClass', 'FailureReason', 'FailureEvidence',
];

/** Column order of traceIdTsRows: the exporter's trace-id lookup table. */
export const TRACE_ID_TS_COLUMNS: readonly string[] = ['TraceId', 'Start', 'End'];

/** The rows of one batch for one table, with what an INSERT needs to name them. */
export interface TableRows {
  table: 'otel_traces' | 'span_facts' | 'otel_traces_trace_id_ts';
  columns: readonly string[];
  format: typeof ROW_FORMAT;
  rows: Buffer;
}

/**
 * Spans serialised for storage, one TableRows per table. Serialised batches concatenate
 * (the format is one row per line), so each OTLP request is serialised when it arrives
 * and a group commit joins the bytes: no insert stalls the event loop serialising
 * thousands of spans at once.
 */
export interface SpanRows {
  readonly spanCount: number;
  readonly tables: readonly TableRows[];
}

export function serializeSpans(spans: readonly EnrichedSpan[]): SpanRows {
  return {
    spanCount: spans.length,
    tables: [
      { table: 'otel_traces', columns: OTEL_TRACES_COLUMNS, format: ROW_FORMAT, rows: encodeRows(spans, otelTracesRow) },
      { table: 'span_facts', columns: SPAN_FACTS_COLUMNS, format: ROW_FORMAT, rows: encodeRows(spans, spanFactsRow) },
      { table: 'otel_traces_trace_id_ts', columns: TRACE_ID_TS_COLUMNS, format: ROW_FORMAT, rows: traceIdTsRows(spans) },
    ],
  };
}

/** The batches as one, rows in the order given. */
export function concatSpanRows(batches: readonly SpanRows[]): SpanRows {
  if (batches.length === 1) return batches[0]!;
  return {
    spanCount: batches.reduce((n, b) => n + b.spanCount, 0),
    tables: batches[0]!.tables.map((first, i) => ({ ...first, rows: Buffer.concat(batches.map((b) => b.tables[i]!.rows)) })),
  };
}

/**
 * Settings for inserting a batch. Deduplication is per table, so every table's insert
 * carries the same token; the materialized view feeding run_totals is deduplicated with
 * span_facts. `optimize_on_insert = 0`: the ReplacingMergeTree tables would
 * otherwise sort and collapse each inserted block for duplicates that FINAL and merges
 * remove anyway (measured: a fifth of otel_traces' insert time).
 */
export function insertSettings(dedupToken: string): Record<string, string> {
  return { insert_deduplication_token: dedupToken, deduplicate_blocks_in_dependent_materialized_views: '1', optimize_on_insert: '0' };
}

/** `INSERT INTO table (columns…) FORMAT JSONCompactEachRow`, for clients that send the rows as the body. */
export function insertStatement(rows: TableRows): string {
  return `INSERT INTO ${rows.table} (${rows.columns.join(', ')}) FORMAT ${rows.format}`;
}

/**
 * A row in two parts: the integer columns as JSON array elements (`1,2`, ASCII) and
 * JSON.stringify's array of all other columns. They are written into the batch Buffer
 * one after the other and joined by overwriting the array's `[` with `,`, so no string
 * is concatenated or flattened: building the batch as one string makes a rope of
 * thousands of parts that costs more to flatten than to serialise.
 */
interface RowParts {
  numbers: string;
  json: string;
}

function encodeRows(spans: readonly EnrichedSpan[], row: (span: EnrichedSpan) => RowParts): Buffer {
  let buffer = Buffer.allocUnsafe(spans.length * 768 + 1024);
  let length = 0;
  for (const span of spans) {
    const { numbers, json } = row(span);
    const tail = wellFormedJson(json);
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; +2 for `[` and the newline.
    const worst = numbers.length + tail.length * 3 + 2;
    if (length + worst > buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, length + worst));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    buffer[length++] = 0x5b; // [
    length += buffer.write(numbers, length, 'latin1');
    const joint = length;
    length += buffer.write(tail, length, 'utf8');
    buffer[joint] = 0x2c; // the array's `[` becomes `,`
    buffer[length++] = 0x0a;
  }
  return buffer.subarray(0, length);
}

/**
 * otel_traces_trace_id_ts rows: per trace id, the first and last span start in whole
 * seconds, as the collector exporter's materialized view computes them for each insert.
 * They are written with the batch instead of by that view (dropped in migration 011): the
 * view's aggregation cost about 15 ms of engine CPU per insert and kept a buffer of about
 * 80 MB resident (16,384-span inserts). A trace spread over several batches has a row per batch; readers take
 * min(Start) and max(End).
 */
function traceIdTsRows(spans: readonly EnrichedSpan[]): Buffer {
  const ranges = new Map<string, { first: bigint; last: bigint }>();
  for (const { traceId, startTimeUnixNano: start } of spans) {
    if (traceId === '') continue;
    const range = ranges.get(traceId);
    if (range === undefined) ranges.set(traceId, { first: start, last: start });
    else if (start < range.first) range.first = start;
    else if (start > range.last) range.last = start;
  }
  let text = '';
  for (const [traceId, { first, last }] of ranges) text += `[${JSON.stringify(traceId)},${seconds(first)},${seconds(last)}]\n`;
  return Buffer.from(text, 'utf8');
}

/** Whole seconds of a nanosecond timestamp (OTLP's are unsigned), truncated as DateTime64 → DateTime does. */
function seconds(ns: bigint): string {
  return (ns / 1_000_000_000n).toString();
}

/** Most spans have no events or links: share one empty array instead of allocating six. */
const NONE: readonly never[] = [];

/** One otel_traces row (OTEL_TRACES_COLUMNS) with the collector ClickHouse exporter's column semantics. */
export function otelTracesRow(s: EnrichedSpan): RowParts {
  const hasEvents = s.events.length > 0;
  const hasLinks = s.links.length > 0;
  let eventTimes = '';
  for (const e of s.events) eventTimes += (eventTimes === '' ? '' : ',') + e.timeUnixNano;
  return {
    numbers: s.startTimeUnixNano + ',' + durationNs(s) + ',[' + eventTimes + ']',
    json: JSON.stringify([
      s.traceId,
      s.spanId,
      s.parentSpanId,
      s.traceState,
      s.name,
      s.kind,
      s.serviceName,
      s.resourceAttributes,
      s.scopeName,
      s.scopeVersion,
      s.attributes,
      s.statusCode,
      s.statusMessage,
      hasEvents ? s.events.map((e) => e.name) : NONE,
      hasEvents ? s.events.map((e) => e.attributes) : NONE,
      hasLinks ? s.links.map((l) => l.traceId) : NONE,
      hasLinks ? s.links.map((l) => l.spanId) : NONE,
      hasLinks ? s.links.map((l) => l.traceState) : NONE,
      hasLinks ? s.links.map((l) => l.attributes) : NONE,
      s.projectId,
    ]),
  };
}

/** One span_facts row (SPAN_FACTS_COLUMNS): every column of 003_span_facts.sql. */
export function spanFactsRow(s: EnrichedSpan): RowParts {
  const { genai, run, cost, failure } = s;
  const usage = genai.usage;
  return {
    numbers:
      s.startTimeUnixNano + ',' + s.endTimeUnixNano + ',' + durationNs(s) + ',' + decimal(cost?.usd, s) + ',' + decimal(cost?.savedUsd, s),
    json: JSON.stringify([
      s.projectId,
      s.traceId,
      s.spanId,
      s.parentSpanId,
      s.name,
      s.serviceName,
      run.role,
      run.runId,
      run.stepId,
      run.nodeId,
      run.nodeType,
      run.workflowId,
      run.workflowVersion,
      s.attributes[GEN_AI.WORKFLOW_NAME] ?? '',
      run.semanticLabel,
      s.attributes[FLOWTRACE.ROUTER_BRANCH] ?? '',
      genai.operation,
      genai.provider,
      genai.requestModel,
      genai.responseModel,
      genai.dialect,
      genai.isInference ? 1 : 0,
      count(usage?.input),
      count(usage?.output),
      count(usage?.cacheRead),
      count(usage?.cacheWrite),
      count(usage?.reasoning),
      cost?.status ?? '',
      cost?.reason ?? '',
      cost?.priceRef ?? '',
      attempt(run.attempt),
      run.fallbackFrom,
      run.cacheHit ? 1 : 0,
      s.statusCode,
      s.statusMessage,
      genai.errorType,
      failure?.failureClass ?? '',
      failure?.reason ?? '',
      failure?.evidence ?? '',
    ]),
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
