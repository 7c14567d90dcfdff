// The span record every component shares. It mirrors one row of the collector
// ClickHouse exporter's `otel_traces` table (attribute values are strings, kinds and
// status codes use pdata's `.String()` spelling), plus what the processors derive.

export type SpanKindName = 'Unspecified' | 'Internal' | 'Server' | 'Client' | 'Producer' | 'Consumer';
export type StatusCodeName = 'Unset' | 'Ok' | 'Error';

export type Attributes = Record<string, string>;

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
}

/** One span as received (OTLP decoded, ids lower-case hex, values stringified). */
export interface SpanRecord {
  projectId: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  serviceName: string;
  resourceAttributes: Attributes;
  scopeName: string;
  scopeVersion: string;
  attributes: Attributes;
  statusCode: StatusCodeName;
  statusMessage: string;
  events: SpanEvent[];
  links: SpanLink[];
}

/** Token counts per the GenAI semconv arithmetic: `input` includes cache reads and writes, `output` includes reasoning. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

/** Which convention a span's GenAI attributes were read from. */
export type Dialect = 'genai' | 'genai_legacy' | 'openinference' | 'openllmetry' | 'vercel_ai' | 'anthropic_sdk' | 'none';

/** What the normaliser makes of a span, in current (v1.41) terms. */
export interface GenAiFacts {
  dialect: Dialect;
  /** `gen_ai.operation.name`: chat, text_completion, embeddings, execute_tool, invoke_agent, invoke_workflow, ... */
  operation: string;
  provider: string;
  requestModel: string;
  responseModel: string;
  /** Present only on spans that report usage. */
  usage?: TokenUsage;
  /** True for spans whose usage is billed here (inference operations); agent/workflow spans repeat their children's. */
  isInference: boolean;
  finishReasons: string[];
  errorType: string;
}

/** FlowTrace execution context, from `flowtrace.*` attributes (or the trace itself for foreign producers). */
export interface RunFacts {
  /** `flowtrace.run.id`, else the trace id. */
  runId: string;
  stepId: string;
  nodeId: string;
  nodeType: string;
  workflowId: string;
  workflowVersion: string;
  semanticLabel: string;
  attempt: number;
  fallbackFrom: string;
  cacheHit: boolean;
  /** Span role in a run: run (workflow/agent root), step, llm (inference attempt), tool, other. */
  role: 'run' | 'step' | 'llm' | 'tool' | 'other';
}

export type CostStatus = 'priced' | 'override' | 'unknown_model' | 'no_usage' | 'not_billable';

export interface CostFacts {
  /** Decimal string in USD (never a float), or null when the price is unknown. */
  usd: string | null;
  status: CostStatus;
  /** Which price entry was used: `<source>:<provider>/<model>@<effective date>` (empty when unpriced). */
  priceRef: string;
  /** Why the cost is null, in words. */
  reason: string;
  /** For cache hits: the cost the cached call would have had, decimal string. */
  savedUsd: string | null;
}

export type FailureClass = 'model' | 'tool' | 'retrieval' | 'orchestration';
export type FailureReason =
  | 'rate_limit' | 'timeout' | 'network' | 'auth' | 'invalid_request' | 'context_length'
  | 'content_filter' | 'provider_error' | 'overloaded' | 'tool_error' | 'parse_error'
  | 'budget_exceeded' | 'limit_exceeded' | 'cancelled' | 'unknown';

export interface FailureFacts {
  failureClass: FailureClass;
  reason: FailureReason;
  /** What the classification was derived from, e.g. `http.status=429`. */
  evidence: string;
}

/** A span after the processors: the raw record plus everything derived from it. */
export interface EnrichedSpan extends SpanRecord {
  genai: GenAiFacts;
  run: RunFacts;
  cost?: CostFacts;
  failure?: FailureFacts;
}
