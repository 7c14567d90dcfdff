// Reads stored spans as StreamSpans: the processors' facts (span_facts) with the span's
// attributes and events (otel_traces). Shared by the SSE history replay and the run trace
// endpoint.
import type { SpanStore } from '../../storage/store.ts';
import { canonicalDecimal, STREAM_ATTRIBUTES, type StreamSpan } from '../events/stream-span.ts';
import { selectRows, SPAN_FACTS_FINAL, type Params } from './rows.ts';

/** A stored span with the facts only the trace endpoint shows. */
export interface StoredSpan extends StreamSpan {
  parentSpanId: string;
  operation: string;
  costReason: string;
  priceRef: string;
  savedCostUsd: string | null;
  failureEvidence: string;
}

export interface SpanPageQuery {
  projectId: string;
  /** Conditions on span_facts columns, using `{name:Type}` placeholders bound in `params`. */
  where: readonly string[];
  params?: Params;
  /** `end`: by (end, span id, trace id), the event order; `start`: by (start, span id, trace id), timeline order. */
  orderBy: 'end' | 'start';
  limit: number;
  /** `stream`: only the attributes events carry; `all`: every attribute. */
  attributes: 'stream' | 'all';
}

interface SpanRow {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  ServiceName: string;
  ProjectId: string;
  Role: string;
  RunId: string;
  StepId: string;
  NodeId: string;
  NodeType: string;
  WorkflowId: string;
  WorkflowName: string;
  WorkflowVersion: string;
  SemanticLabel: string;
  RouterBranch: string;
  Operation: string;
  Provider: string;
  RequestModel: string;
  ResponseModel: string;
  IsInference: number;
  InputTokens: number;
  OutputTokens: number;
  CacheReadTokens: number;
  CacheWriteTokens: number;
  ReasoningTokens: number;
  Cost: string | null;
  CostStatus: string;
  CostReason: string;
  PriceRef: string;
  SavedCost: string | null;
  Attempt: number;
  FallbackFrom: string;
  CacheHit: number;
  StatusCode: string;
  StatusMessage: string;
  ErrorType: string;
  FailureClass: string;
  FailureReason: string;
  FailureEvidence: string;
  StartNs: string;
  EndNs: string;
  Attributes: Record<string, string>;
  EventTimes: string[];
  EventNames: string[];
  EventAttributes: Record<string, string>[];
}

const FACT_COLUMNS = [
  'ProjectId', 'TraceId', 'SpanId', 'ParentSpanId', 'SpanName', 'ServiceName', 'Role', 'RunId', 'StepId', 'NodeId',
  'NodeType', 'WorkflowId', 'WorkflowName', 'WorkflowVersion', 'SemanticLabel', 'RouterBranch', 'Operation', 'Provider',
  'RequestModel', 'ResponseModel', 'IsInference', 'InputTokens', 'OutputTokens', 'CacheReadTokens', 'CacheWriteTokens',
  'ReasoningTokens', 'CostStatus', 'CostReason', 'PriceRef', 'Attempt', 'FallbackFrom', 'CacheHit', 'StatusCode',
  'StatusMessage', 'ErrorType', 'FailureClass', 'FailureReason', 'FailureEvidence',
];

const sqlStringLiteral = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const STREAM_ATTRIBUTE_FILTER = `mapFilter((k, v) -> k IN (${STREAM_ATTRIBUTES.map(sqlStringLiteral).join(', ')}), SpanAttributes)`;

/** The key columns a page is ordered by, for keyset pagination conditions. */
export const ORDER_KEYS = {
  end: '(toUnixTimestamp64Nano(EndTime), SpanId, TraceId)',
  start: '(toUnixTimestamp64Nano(Timestamp), SpanId, TraceId)',
} as const;

function factsSql(query: SpanPageQuery): string {
  const time = query.orderBy === 'end' ? 'EndTime' : 'Timestamp';
  const conditions = ['ProjectId = {project:String}', ...query.where].join('\n  AND ');
  return `SELECT ${FACT_COLUMNS.join(', ')},
  toString(CostUsd) AS Cost, toString(SavedCostUsd) AS SavedCost,
  toString(toUnixTimestamp64Nano(Timestamp)) AS StartNs, toString(toUnixTimestamp64Nano(EndTime)) AS EndNs
FROM span_facts FINAL
WHERE ${conditions}
ORDER BY ${time}, SpanId, TraceId
LIMIT {limit:UInt32}`;
}

/**
 * Attributes and events of the page's spans from otel_traces, read in the page's time span
 * (otel_traces is partitioned and sorted by time) and found by trace id (its bloom filter).
 */
function attributesSql(attributes: SpanPageQuery['attributes']): string {
  return `SELECT TraceId, SpanId, ${attributes === 'all' ? 'SpanAttributes' : STREAM_ATTRIBUTE_FILTER} AS Attributes,
  arrayMap(x -> toString(toUnixTimestamp64Nano(x)), Events.Timestamp) AS EventTimes,
  Events.Name AS EventNames, Events.Attributes AS EventAttributes
FROM otel_traces
WHERE ProjectId = {project:String}
  AND Timestamp >= fromUnixTimestamp64Nano({fromNs:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({toNs:Int64})
  AND TraceId IN JSONExtract({traces:String}, 'Array(String)') AND SpanId IN JSONExtract({spans:String}, 'Array(String)')
LIMIT 1 BY TraceId, SpanId`;
}

/** A span's row in span_facts, before its attributes and events are read. */
export type SpanFacts = Omit<SpanRow, 'Attributes' | 'EventTimes' | 'EventNames' | 'EventAttributes'>;
type AttributeRow = Pick<SpanRow, 'TraceId' | 'SpanId' | 'Attributes' | 'EventTimes' | 'EventNames' | 'EventAttributes'>;

function toStoredSpan(row: SpanRow): StoredSpan {
  return {
    projectId: row.ProjectId,
    traceId: row.TraceId,
    spanId: row.SpanId,
    parentSpanId: row.ParentSpanId,
    name: row.SpanName,
    serviceName: row.ServiceName,
    startNs: BigInt(row.StartNs),
    endNs: BigInt(row.EndNs),
    role: row.Role,
    runId: row.RunId,
    stepId: row.StepId,
    nodeId: row.NodeId,
    nodeType: row.NodeType,
    workflowId: row.WorkflowId,
    workflowName: row.WorkflowName,
    workflowVersion: row.WorkflowVersion,
    semanticLabel: row.SemanticLabel,
    routerBranch: row.RouterBranch,
    operation: row.Operation,
    provider: row.Provider,
    requestModel: row.RequestModel,
    responseModel: row.ResponseModel,
    isInference: row.IsInference === 1,
    inputTokens: Number(row.InputTokens),
    outputTokens: Number(row.OutputTokens),
    cacheReadTokens: Number(row.CacheReadTokens),
    cacheWriteTokens: Number(row.CacheWriteTokens),
    reasoningTokens: Number(row.ReasoningTokens),
    costUsd: canonicalDecimal(row.Cost),
    costStatus: row.CostStatus,
    costReason: row.CostReason,
    priceRef: row.PriceRef,
    savedCostUsd: canonicalDecimal(row.SavedCost),
    attempt: Number(row.Attempt),
    fallbackFrom: row.FallbackFrom,
    cacheHit: row.CacheHit === 1,
    statusCode: row.StatusCode,
    statusMessage: row.StatusMessage,
    errorType: row.ErrorType,
    failureClass: row.FailureClass,
    failureReason: row.FailureReason,
    failureEvidence: row.FailureEvidence,
    attributes: row.Attributes ?? {},
    events: (row.EventNames ?? []).map((name, i) => ({
      name,
      timeUnixNano: BigInt(row.EventTimes[i] ?? '0'),
      attributes: row.EventAttributes[i] ?? {},
    })),
  };
}

/** The facts (span_facts, FINAL) of one page of spans matching the query, in the requested order. */
export function readSpanFacts(store: SpanStore, query: SpanPageQuery): Promise<SpanFacts[]> {
  const params = { ...query.params, project: query.projectId, limit: String(query.limit) };
  return selectRows<SpanFacts>(store, factsSql(query), params, SPAN_FACTS_FINAL);
}

/**
 * The spans with their attributes and events (otel_traces), read in one statement bounded by
 * the spans' start times.
 */
export async function withAttributes(
  store: SpanStore,
  projectId: string,
  attributes: SpanPageQuery['attributes'],
  facts: readonly SpanFacts[],
): Promise<StoredSpan[]> {
  if (facts.length === 0) return [];
  let fromNs = BigInt(facts[0]!.StartNs);
  let toNs = fromNs;
  for (const row of facts) {
    const start = BigInt(row.StartNs);
    if (start < fromNs) fromNs = start;
    if (start > toNs) toNs = start;
  }
  const rows = await selectRows<AttributeRow>(store, attributesSql(attributes), {
    project: projectId,
    fromNs: String(fromNs),
    toNs: String(toNs),
    traces: JSON.stringify([...new Set(facts.map((row) => row.TraceId))]),
    spans: JSON.stringify(facts.map((row) => row.SpanId)),
  });
  const byKey = new Map(rows.map((row) => [`${row.TraceId}:${row.SpanId}`, row]));
  // A span without an otel_traces row (written by other means) has no attributes or events.
  return facts.map((row) => toStoredSpan({ ...row, ...byKey.get(`${row.TraceId}:${row.SpanId}`) } as SpanRow));
}

/** One page of spans matching the query, in the requested order, with their attributes and events. */
export async function readSpanPage(store: SpanStore, query: SpanPageQuery): Promise<StoredSpan[]> {
  return withAttributes(store, query.projectId, query.attributes, await readSpanFacts(store, query));
}
