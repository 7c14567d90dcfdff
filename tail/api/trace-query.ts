// A run's trace as a step tree: each step with its attempts, tool calls and events,
// paged by step in start order. Spans of other producers outside any step are listed as
// top-level entries of their own.
import type { z } from 'zod/v4';
import { sumUsd } from '../../processors/cost/index.ts';
import type { SpanStore } from '../../storage/store.ts';
import { ORDER_KEYS, readSpanFacts, withAttributes, type StoredSpan } from '../query/span-reader.ts';
import { stringList, type Params } from '../query/rows.ts';
import type { AttemptSchema, StepSchema } from './schemas.ts';
import { isoOfNs, type RunSpanRange } from './run-queries.ts';

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

/**
 * A page of the run's steps, each with its attempts and tool calls, and (on the first page)
 * the run span's events. `range` bounds the reads to the run's days.
 */
export async function readTrace(
  store: SpanStore,
  projectId: string,
  runId: string,
  range: RunSpanRange,
  limit: number,
  after?: StepCursor,
): Promise<TracePage> {
  const params: Params = { run: runId, fromNs: String(range.fromNs), toNs: String(range.toNs) };
  const ofRun = [
    'RunId = {run:String}',
    'Timestamp >= fromUnixTimestamp64Nano({fromNs:Int64})',
    'Timestamp <= fromUnixTimestamp64Nano({toNs:Int64})',
  ];
  const topParams = { ...params };
  const where = [...ofRun, "(Role = 'step' OR (StepId = '' AND Role != 'run'))"];
  if (after) {
    Object.assign(topParams, { afterStart: after.startNs, afterSpan: after.spanId, afterTrace: after.traceId });
    where.push(`${ORDER_KEYS.start} > ({afterStart:Int64}, {afterSpan:String}, {afterTrace:String})`);
  }
  const top = await readSpanFacts(store, { projectId, where, params: topParams, orderBy: 'start', limit: limit + 1, attributes: 'all' });
  const pageFacts = top.slice(0, limit);
  const stepIds = pageFacts.filter((s) => s.Role === 'step' && s.StepId !== '').map((s) => s.StepId);
  // The page's attempts and tool calls, and on the first page the run span, in one read.
  const wanted: string[] = [];
  const restParams = { ...params };
  if (stepIds.length > 0) wanted.push(`(StepId IN ${stringList('steps', stepIds, restParams)} AND Role NOT IN ('step', 'run'))`);
  if (after === undefined) wanted.push("Role = 'run'");
  const restFacts =
    wanted.length === 0
      ? []
      : await readSpanFacts(store, { projectId, where: [...ofRun, `(${wanted.join(' OR ')})`], params: restParams, orderBy: 'start', limit: MAX_CHILD_SPANS, attributes: 'all' });
  const spans = await withAttributes(store, projectId, 'all', [...pageFacts, ...restFacts]);
  const page = spans.slice(0, pageFacts.length);
  const rest = spans.slice(pageFacts.length);
  const runSpan = rest.find((s) => s.role === 'run');
  const byStep = new Map<string, StoredSpan[]>();
  for (const child of rest) {
    if (child.role === 'run') continue;
    const list = byStep.get(child.stepId) ?? [];
    list.push(child);
    byStep.set(child.stepId, list);
  }
  const last = page[page.length - 1];
  return {
    runEvents: runSpan ? eventsOf(runSpan) : [],
    steps: page.map((span) => toStep(span, span.role === 'step' ? (byStep.get(span.stepId) ?? []) : [])),
    next: top.length > limit && last ? { startNs: String(last.startNs), spanId: last.spanId, traceId: last.traceId } : null,
  };
}
