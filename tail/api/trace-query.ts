// A run's trace as a step tree: each step with its attempts, tool calls and events,
// paged by step in start order. Spans of other producers outside any step are listed as
// top-level entries of their own.
import type { z } from 'zod/v4';
import { sumUsd } from '../../processors/cost/index.ts';
import type { SpanStore } from '../../storage/store.ts';
import { ORDER_KEYS, readSpanFacts, withAttributes, type SpanFacts, type StoredSpan } from '../query/span-reader.ts';
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
 * Spans outside any step stand for themselves next to the steps (spans of other producers).
 * The same rule twice: as SQL for paged reads, as a test on the facts of a whole-run read.
 */
const TOP_LEVEL = {
  sql: "(Role = 'step' OR (StepId = '' AND Role != 'run'))",
  test: (f: SpanFacts) => f.Role === 'step' || (f.StepId === '' && f.Role !== 'run'),
};

/** After the cursor in timeline order: (start, span id, trace id), as ORDER_KEYS.start. */
function afterCursor(f: SpanFacts, after: StepCursor): boolean {
  const start = BigInt(f.StartNs);
  const cursorStart = BigInt(after.startNs);
  if (start !== cursorStart) return start > cursorStart;
  if (f.SpanId !== after.spanId) return f.SpanId > after.spanId;
  return f.TraceId > after.traceId;
}

interface PageFacts {
  /** The page's top-level spans, and whether more follow. */
  top: SpanFacts[];
  more: boolean;
  /** Attempts and tool calls of the page's steps, and (first page) the run span. */
  rest: SpanFacts[];
}

export interface TraceReadOptions {
  /** Runs with at most this many spans are read whole in one statement, larger ones page by page. */
  wholeRunSpans?: number;
}

const WHOLE_RUN_SPANS = 5_000;

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
  options: TraceReadOptions = {},
): Promise<TracePage> {
  const params: Params = { run: runId, fromNs: String(range.fromNs), toNs: String(range.toNs) };
  const ofRun = [
    'RunId = {run:String}',
    'Timestamp >= fromUnixTimestamp64Nano({fromNs:Int64})',
    'Timestamp <= fromUnixTimestamp64Nano({toNs:Int64})',
  ];
  const whole = options.wholeRunSpans ?? WHOLE_RUN_SPANS;
  const all = await readSpanFacts(store, { projectId, where: ofRun, params, orderBy: 'start', limit: whole + 1, attributes: 'all' });
  const facts = all.length <= whole ? pageOfRun(all, limit, after) : await readPage(store, projectId, ofRun, params, limit, after);
  const spans = await withAttributes(store, projectId, 'all', [...facts.top, ...facts.rest]);
  const page = spans.slice(0, facts.top.length);
  const rest = spans.slice(facts.top.length);
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
    next: facts.more && last ? { startNs: String(last.startNs), spanId: last.spanId, traceId: last.traceId } : null,
  };
}

/** The page, from all of the run's facts (in timeline order). */
function pageOfRun(all: SpanFacts[], limit: number, after: StepCursor | undefined): PageFacts {
  const top = all.filter((f) => TOP_LEVEL.test(f) && (after === undefined || afterCursor(f, after)));
  const page = top.slice(0, limit);
  const steps = new Set(page.filter((f) => f.Role === 'step' && f.StepId !== '').map((f) => f.StepId));
  const rest = all.filter((f) => (f.Role === 'run' ? after === undefined : f.Role !== 'step' && steps.has(f.StepId)));
  return { top: page, more: top.length > limit, rest };
}

/** The page of a large run: its top-level spans, then their children (and the run span) in a second read. */
async function readPage(store: SpanStore, projectId: string, ofRun: string[], params: Params, limit: number, after: StepCursor | undefined): Promise<PageFacts> {
  const topParams = { ...params };
  const where = [...ofRun, TOP_LEVEL.sql];
  if (after) {
    Object.assign(topParams, { afterStart: after.startNs, afterSpan: after.spanId, afterTrace: after.traceId });
    where.push(`${ORDER_KEYS.start} > ({afterStart:Int64}, {afterSpan:String}, {afterTrace:String})`);
  }
  const top = await readSpanFacts(store, { projectId, where, params: topParams, orderBy: 'start', limit: limit + 1, attributes: 'all' });
  const page = top.slice(0, limit);
  const stepIds = page.filter((s) => s.Role === 'step' && s.StepId !== '').map((s) => s.StepId);
  const wanted: string[] = [];
  const restParams = { ...params };
  if (stepIds.length > 0) wanted.push(`(StepId IN ${stringList('steps', stepIds, restParams)} AND Role NOT IN ('step', 'run'))`);
  if (after === undefined) wanted.push("Role = 'run'");
  const rest =
    wanted.length === 0
      ? []
      : await readSpanFacts(store, { projectId, where: [...ofRun, `(${wanted.join(' OR ')})`], params: restParams, orderBy: 'start', limit: MAX_CHILD_SPANS, attributes: 'all' });
  return { top: page, more: top.length > limit, rest };
}
