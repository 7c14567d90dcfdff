// A run's trace as a step tree: each step with its attempts, tool calls and events,
// paged by step in start order. Spans of other producers outside any step are listed as
// top-level entries of their own.
import type { z } from 'zod/v4';
import { sumUsd } from '../../processors/cost/index.ts';
import type { SpanStore } from '../../storage/store.ts';
import { ORDER_KEYS, readSpanPage, type StoredSpan } from '../query/span-reader.ts';
import { stringList, type Params } from '../query/rows.ts';
import type { AttemptSchema, StepSchema } from './schemas.ts';
import { isoOfNs } from './run-queries.ts';

type Attempt = z.output<typeof AttemptSchema>;
type Step = z.output<typeof StepSchema>;

export interface StepCursor {
  startNs: string;
  spanId: string;
  traceId: string;
}

export interface TracePage {
  runEvents: Array<{ ts: string; name: string; attributes: Record<string, string> }>;
  steps: Step[];
  next: StepCursor | null;
}

/** Upper bound on spans inside one page of steps (attempts, tool calls, nested spans). */
const MAX_CHILD_SPANS = 100_000;

const kindOf = (span: StoredSpan): Attempt['kind'] =>
  span.isInference ? 'llm' : span.role === 'step' ? 'step' : span.role === 'tool' ? 'tool' : 'other';

const statusOf = (span: StoredSpan): Attempt['status'] =>
  span.statusCode === 'Error' ? 'error' : span.statusCode === 'Ok' ? 'ok' : 'unset';

function eventsOf(span: StoredSpan) {
  return span.events.map((e) => ({ ts: isoOfNs(e.timeUnixNano), name: e.name, attributes: e.attributes }));
}

function toAttempt(span: StoredSpan): Attempt {
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    kind: kindOf(span),
    name: span.name,
    status: statusOf(span),
    start_time: isoOfNs(span.startNs),
    end_time: isoOfNs(span.endNs),
    latency_ms: Number(span.endNs - span.startNs) / 1e6,
    failure_class: span.failureClass,
    failure_reason: span.failureReason,
    error_type: span.errorType,
    status_message: span.statusMessage,
    attributes: span.attributes,
    events: eventsOf(span),
    attempt: span.attempt,
    provider: span.provider,
    request_model: span.requestModel,
    response_model: span.responseModel,
    fallback_from: span.fallbackFrom,
    input_tokens: span.inputTokens,
    output_tokens: span.outputTokens,
    cache_read_tokens: span.cacheReadTokens,
    cache_write_tokens: span.cacheWriteTokens,
    reasoning_tokens: span.reasoningTokens,
    cost_usd: span.costUsd,
    cost_status: span.costStatus,
    cost_reason: span.costReason,
    price_ref: span.priceRef,
  };
}

function toStep(span: StoredSpan, children: StoredSpan[]): Step {
  // A span outside any step stands for itself; a step sums its inference attempts.
  const calls = (span.role === 'step' ? children : [span]).filter((s) => s.isInference);
  return {
    ...toAttempt(span),
    step_id: span.stepId,
    node_id: span.nodeId,
    node_type: span.nodeType,
    semantic_label: span.semanticLabel,
    router_branch: span.routerBranch,
    cache_hit: span.cacheHit,
    saved_cost_usd: span.savedCostUsd,
    totals: {
      attempts: calls.length,
      retries: calls.filter((s) => s.attempt > 1).length,
      fallbacks: calls.filter((s) => s.fallbackFrom !== '').length,
      input_tokens: calls.reduce((sum, s) => sum + s.inputTokens, 0),
      output_tokens: calls.reduce((sum, s) => sum + s.outputTokens, 0),
      cost_usd: sumUsd(calls.flatMap((s) => (s.costUsd === null ? [] : [s.costUsd]))),
    },
    children: children.map(toAttempt),
  };
}

export async function readTrace(store: SpanStore, projectId: string, runId: string, limit: number, after?: StepCursor): Promise<TracePage> {
  const params: Params = { run: runId };
  const where = ['RunId = {run:String}', "(Role = 'step' OR (StepId = '' AND Role != 'run'))"];
  if (after) {
    Object.assign(params, { afterStart: after.startNs, afterSpan: after.spanId, afterTrace: after.traceId });
    where.push(`${ORDER_KEYS.start} > ({afterStart:Int64}, {afterSpan:String}, {afterTrace:String})`);
  }
  const top = await readSpanPage(store, { projectId, where, params, orderBy: 'start', limit: limit + 1, attributes: 'all' });
  const page = top.slice(0, limit);
  const stepIds = page.filter((s) => s.role === 'step' && s.stepId !== '').map((s) => s.stepId);
  const childParams: Params = { run: runId };
  const children =
    stepIds.length === 0
      ? []
      : await readSpanPage(store, {
          projectId,
          where: ['RunId = {run:String}', `StepId IN ${stringList('steps', stepIds, childParams)}`, "Role NOT IN ('step', 'run')"],
          params: childParams,
          orderBy: 'start',
          limit: MAX_CHILD_SPANS,
          attributes: 'all',
        });
  const byStep = new Map<string, StoredSpan[]>();
  for (const child of children) {
    const list = byStep.get(child.stepId) ?? [];
    list.push(child);
    byStep.set(child.stepId, list);
  }
  const runSpan =
    after === undefined
      ? (await readSpanPage(store, { projectId, where: ['RunId = {run:String}', "Role = 'run'"], params: { run: runId }, orderBy: 'start', limit: 1, attributes: 'all' }))[0]
      : undefined;
  const last = page[page.length - 1];
  return {
    runEvents: runSpan ? eventsOf(runSpan) : [],
    steps: page.map((span) => toStep(span, span.role === 'step' ? (byStep.get(span.stepId) ?? []) : [])),
    next: top.length > limit && last ? { startNs: String(last.startNs), spanId: last.spanId, traceId: last.traceId } : null,
  };
}
