// Stored spans → the trace events of seed 004 §5 (`{ts, kind, step_id, payload}`):
//   inference attempt → llm.request (at its start) + llm.response (at its end)
//   tool call         → tool.request + tool.response
//   flowtrace.retry / flowtrace.fallback / flowtrace.cache.hit span events → retry / fallback / cache.hit
//   flowtrace.budget / flowtrace.guardrail span events → log
//   step              → log (the step's outcome), run → run.status
// Spans of other roles contribute only their FlowTrace span events.
import { FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR, GEN_AI } from '../../core/semconv.ts';
import type { Attributes, SpanEvent } from '../../core/span.ts';
import { formatEventId, type EventKey } from './event-id.ts';
import { canonicalDecimal, type StreamSpan } from './stream-span.ts';

export const TRACE_EVENT_KINDS = [
  'llm.request',
  'llm.response',
  'tool.request',
  'tool.response',
  'retry',
  'fallback',
  'cache.hit',
  'log',
  'run.status',
] as const;

export type TraceEventKind = (typeof TRACE_EVENT_KINDS)[number];

/** What an SSE `trace` event carries as its data. */
export interface TraceEvent {
  /** Same as the SSE id of the event when it was sent in order (see tail/sse/README.md). */
  id: string;
  /** ISO-8601 time the event happened. */
  ts: string;
  kind: TraceEventKind;
  run_id: string;
  step_id: string;
  span_id: string;
  service: string;
  payload: Record<string, unknown>;
}

/** A derived event with what the stream needs to order, de-duplicate and filter it. */
export interface StreamEvent {
  key: EventKey;
  traceId: string;
  event: TraceEvent;
  /** The serialised SSE frame, built once and shared by every connection that receives it. */
  frame?: string;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'canceled';

/** A finished run's status, by the same rule as the `runs` view. */
export function runStatusOf(span: Pick<StreamSpan, 'statusCode' | 'failureReason'>): RunStatus {
  if (span.failureReason === 'cancelled') return 'canceled';
  return span.statusCode === 'Error' ? 'failed' : 'succeeded';
}

const isoOf = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
const latencyMs = (span: StreamSpan) => Number(span.endNs - span.startNs) / 1e6;
const outcome = (span: StreamSpan) => (span.statusCode === 'Error' ? 'error' : 'ok');

function numberOr(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

/** Copies the attributes that are present (content only exists when capture was on). */
function present(attributes: Attributes, names: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(names)) {
    const value = attributes[name];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function failureFields(span: StreamSpan): Record<string, unknown> {
  if (span.statusCode !== 'Error') return {};
  return {
    failure_class: span.failureClass,
    failure_reason: span.failureReason,
    error_type: span.errorType,
    status_message: span.statusMessage,
  };
}

function llmRequest(span: StreamSpan): Record<string, unknown> {
  return {
    provider: span.provider,
    model: span.requestModel,
    attempt: span.attempt,
    fallback_from: span.fallbackFrom,
    node_id: span.nodeId,
    semantic_label: span.semanticLabel,
    ...present(span.attributes, { input_messages: GEN_AI.INPUT_MESSAGES, system_instructions: GEN_AI.SYSTEM_INSTRUCTIONS }),
  };
}

function llmResponse(span: StreamSpan): Record<string, unknown> {
  return {
    provider: span.provider,
    model: span.requestModel,
    response_model: span.responseModel,
    attempt: span.attempt,
    fallback_from: span.fallbackFrom,
    status: outcome(span),
    latency_ms: latencyMs(span),
    input_tokens: span.inputTokens,
    output_tokens: span.outputTokens,
    cache_read_tokens: span.cacheReadTokens,
    cache_write_tokens: span.cacheWriteTokens,
    reasoning_tokens: span.reasoningTokens,
    cost_usd: span.costUsd,
    cost_status: span.costStatus,
    ...failureFields(span),
    ...present(span.attributes, { output_messages: GEN_AI.OUTPUT_MESSAGES }),
  };
}

const toolName = (span: StreamSpan) => span.attributes[GEN_AI.TOOL_NAME] ?? span.name.replace(/^execute_tool /, '');

function toolRequest(span: StreamSpan): Record<string, unknown> {
  return {
    tool: toolName(span),
    node_id: span.nodeId,
    ...present(span.attributes, { call_id: GEN_AI.TOOL_CALL_ID, arguments: GEN_AI.TOOL_CALL_ARGUMENTS }),
  };
}

function toolResponse(span: StreamSpan): Record<string, unknown> {
  return {
    tool: toolName(span),
    status: outcome(span),
    latency_ms: latencyMs(span),
    ...failureFields(span),
    ...present(span.attributes, { result: GEN_AI.TOOL_CALL_RESULT }),
  };
}

function stepLog(span: StreamSpan): Record<string, unknown> {
  const ms = latencyMs(span);
  const verb = span.statusCode === 'Error' ? `failed (${span.failureReason || span.errorType || 'error'})` : 'succeeded';
  const extra = span.cacheHit ? ', answered from the cache' : span.routerBranch !== '' ? `, branch ${span.routerBranch}` : '';
  return {
    level: span.statusCode === 'Error' ? 'error' : 'info',
    source: 'step',
    message: `step ${span.nodeId || span.name} ${verb} in ${ms} ms${extra}`,
    node_id: span.nodeId,
    node_type: span.nodeType,
    semantic_label: span.semanticLabel,
    router_branch: span.routerBranch,
    cache_hit: span.cacheHit,
    status: outcome(span),
    latency_ms: ms,
    ...failureFields(span),
  };
}

function runStatus(span: StreamSpan): Record<string, unknown> {
  return {
    status: runStatusOf(span),
    workflow_id: span.workflowId,
    workflow_name: span.workflowName,
    workflow_version: span.workflowVersion,
    duration_ms: latencyMs(span),
    ...failureFields(span),
  };
}

/** A FlowTrace span event as a trace event (kind and payload), or undefined for other events. */
function fromSpanEvent(e: SpanEvent): { kind: TraceEventKind; payload: Record<string, unknown> } | undefined {
  const a = e.attributes;
  const reason = a[FLOWTRACE_EVENT_ATTR.REASON] ?? '';
  switch (e.name) {
    case FLOWTRACE_EVENT.RETRY:
      return {
        kind: 'retry',
        payload: { attempt: numberOr(a[FLOWTRACE_EVENT_ATTR.ATTEMPT]), delay_ms: numberOr(a[FLOWTRACE_EVENT_ATTR.DELAY_MS]), reason },
      };
    case FLOWTRACE_EVENT.FALLBACK:
      return { kind: 'fallback', payload: { from: a[FLOWTRACE_EVENT_ATTR.FROM] ?? '', to: a[FLOWTRACE_EVENT_ATTR.TO] ?? '', reason } };
    case FLOWTRACE_EVENT.CACHE_HIT:
      return {
        kind: 'cache.hit',
        payload: {
          key_hash: a[FLOWTRACE_EVENT_ATTR.KEY_HASH] ?? '',
          saved_input_tokens: numberOr(a[FLOWTRACE_EVENT_ATTR.SAVED_INPUT_TOKENS]) ?? 0,
          saved_output_tokens: numberOr(a[FLOWTRACE_EVENT_ATTR.SAVED_OUTPUT_TOKENS]) ?? 0,
          saved_cost_usd: canonicalDecimal(a[FLOWTRACE_EVENT_ATTR.SAVED_COST_USD]),
        },
      };
    case FLOWTRACE_EVENT.BUDGET: {
      const kind = a[FLOWTRACE_EVENT_ATTR.KIND] ?? '';
      const spent = a[FLOWTRACE_EVENT_ATTR.SPENT_USD] ?? '?';
      const limit = a[FLOWTRACE_EVENT_ATTR.LIMIT_USD] ?? '?';
      return {
        kind: 'log',
        payload: {
          level: kind === 'soft' ? 'warn' : 'error',
          source: 'budget',
          message: `${kind || 'budget'} budget limit reached: spent ${spent} of ${limit} USD`,
          budget_kind: kind,
          spent_usd: spent,
          limit_usd: limit,
        },
      };
    }
    case FLOWTRACE_EVENT.GUARDRAIL: {
      const limit = a[FLOWTRACE_EVENT_ATTR.LIMIT] ?? '';
      return {
        kind: 'log',
        payload: { level: 'error', source: 'guardrail', message: `guardrail ${limit} stopped the run (${reason})`, limit, reason },
      };
    }
    default:
      return undefined;
  }
}

/** Every trace event of one span, in id order. */
export function deriveEvents(span: StreamSpan): StreamEvent[] {
  const out: StreamEvent[] = [];
  const add = (ns: bigint, kind: TraceEventKind, payload: Record<string, unknown>) => {
    const n = out.length;
    out.push({
      key: { endNs: span.endNs, spanId: span.spanId, n },
      traceId: span.traceId,
      event: {
        id: formatEventId(span.endNs, span.spanId, n),
        ts: isoOf(ns),
        kind,
        run_id: span.runId,
        step_id: span.stepId,
        span_id: span.spanId,
        service: span.serviceName,
        payload,
      },
    });
  };
  const role = span.isInference ? 'llm' : span.role;
  if (role === 'llm') add(span.startNs, 'llm.request', llmRequest(span));
  else if (role === 'tool') add(span.startNs, 'tool.request', toolRequest(span));
  const spanEvents = span.events.length > 1 ? [...span.events].sort((x, y) => (x.timeUnixNano < y.timeUnixNano ? -1 : x.timeUnixNano > y.timeUnixNano ? 1 : 0)) : span.events;
  for (const e of spanEvents) {
    const derived = fromSpanEvent(e);
    if (derived) add(e.timeUnixNano, derived.kind, derived.payload);
  }
  if (role === 'llm') add(span.endNs, 'llm.response', llmResponse(span));
  else if (role === 'tool') add(span.endNs, 'tool.response', toolResponse(span));
  else if (role === 'step') add(span.endNs, 'log', stepLog(span));
  else if (role === 'run') add(span.endNs, 'run.status', runStatus(span));
  return out;
}
