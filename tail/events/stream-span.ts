// The facts of one stored span that trace events are derived from. Live spans (the bus)
// and stored ones (ClickHouse history) are both turned into this shape first, so a span
// yields exactly the same events whichever way it reaches a client.
import type { Attributes, EnrichedSpan, SpanEvent } from '../../core/span.ts';
import { FLOWTRACE, GEN_AI } from '../../core/semconv.ts';

export interface StreamSpan {
  projectId: string;
  traceId: string;
  spanId: string;
  name: string;
  serviceName: string;
  startNs: bigint;
  endNs: bigint;
  role: string;
  runId: string;
  stepId: string;
  nodeId: string;
  nodeType: string;
  workflowId: string;
  workflowName: string;
  workflowVersion: string;
  semanticLabel: string;
  routerBranch: string;
  provider: string;
  requestModel: string;
  responseModel: string;
  isInference: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Canonical decimal string (see canonicalDecimal), null when unpriced. */
  costUsd: string | null;
  costStatus: string;
  attempt: number;
  fallbackFrom: string;
  cacheHit: boolean;
  statusCode: string;
  statusMessage: string;
  errorType: string;
  failureClass: string;
  failureReason: string;
  /** At least the attributes in STREAM_ATTRIBUTES (all of them when read for the trace API). */
  attributes: Attributes;
  events: SpanEvent[];
}

/** Span attributes the events carry: tool identity and, when capture was on, content. */
export const STREAM_ATTRIBUTES: readonly string[] = [
  GEN_AI.TOOL_NAME,
  GEN_AI.TOOL_CALL_ID,
  GEN_AI.TOOL_CALL_ARGUMENTS,
  GEN_AI.TOOL_CALL_RESULT,
  GEN_AI.INPUT_MESSAGES,
  GEN_AI.OUTPUT_MESSAGES,
  GEN_AI.SYSTEM_INSTRUCTIONS,
];

/**
 * One spelling per decimal value: no trailing fractional zeros ("0.000360000000" and
 * ClickHouse's "0.00036" are the same cost).
 */
export function canonicalDecimal(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (!value.includes('.')) return value;
  const trimmed = value.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}

export function fromEnrichedSpan(span: EnrichedSpan): StreamSpan {
  const { genai, run, cost, failure } = span;
  const usage = genai.usage;
  return {
    projectId: span.projectId,
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    serviceName: span.serviceName,
    startNs: span.startTimeUnixNano,
    endNs: span.endTimeUnixNano,
    role: run.role,
    runId: run.runId,
    stepId: run.stepId,
    nodeId: run.nodeId,
    nodeType: run.nodeType,
    workflowId: run.workflowId,
    workflowName: span.attributes[GEN_AI.WORKFLOW_NAME] ?? '',
    workflowVersion: run.workflowVersion,
    semanticLabel: run.semanticLabel,
    routerBranch: span.attributes[FLOWTRACE.ROUTER_BRANCH] ?? '',
    provider: genai.provider,
    requestModel: genai.requestModel,
    responseModel: genai.responseModel,
    isInference: genai.isInference,
    inputTokens: usage?.input ?? 0,
    outputTokens: usage?.output ?? 0,
    cacheReadTokens: usage?.cacheRead ?? 0,
    cacheWriteTokens: usage?.cacheWrite ?? 0,
    reasoningTokens: usage?.reasoning ?? 0,
    costUsd: canonicalDecimal(cost?.usd),
    costStatus: cost?.status ?? '',
    attempt: run.attempt,
    fallbackFrom: run.fallbackFrom,
    cacheHit: run.cacheHit,
    statusCode: span.statusCode,
    statusMessage: span.statusMessage,
    errorType: genai.errorType,
    failureClass: failure?.failureClass ?? '',
    failureReason: failure?.reason ?? '',
    attributes: span.attributes,
    events: span.events,
  };
}
