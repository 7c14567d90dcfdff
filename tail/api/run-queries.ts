// Runs: list (filters + keyset pagination on (StartTime, RunId)), detail and deletion,
// over run_totals, the `runs` view and span_facts. Every statement is scoped by project.
import type { z } from 'zod/v4';
import type { SpanStore } from '../../storage/store.ts';
import { canonicalDecimal } from '../events/stream-span.ts';
import { selectRows, SPAN_FACTS_FINAL, stringList, type Params } from '../query/rows.ts';
import type { RUN_STATUSES, RunSummarySchema } from './schemas.ts';

export type RunSummary = z.output<typeof RunSummarySchema>;

export interface RunFilter {
  statuses?: ReadonlySet<string>;
  workflows?: ReadonlySet<string>;
  services?: ReadonlySet<string>;
  models?: ReadonlySet<string>;
  failureClasses?: ReadonlySet<string>;
  /** Start time bounds, ns since the epoch: from inclusive, to exclusive. */
  fromNs?: bigint;
  toNs?: bigint;
  minCostUsd?: string;
}

export interface RunCursor {
  startNs: string;
  runId: string;
}

interface RunRow {
  RunId: string;
  TraceId: string;
  RunName: string;
  WorkflowId: string;
  WorkflowVersion: string;
  WorkflowName: string;
  ServiceName: string;
  Status: (typeof RUN_STATUSES)[number];
  FailureClass: string;
  FailureReason: string;
  StartNs: string;
  EndNs: string;
  DurationMs: number;
  Steps: number;
  LlmCalls: number;
  ToolCalls: number;
  Retries: number;
  Fallbacks: number;
  CacheHits: number;
  ErrorSpans: number;
  InputTokens: number;
  OutputTokens: number;
  CacheReadTokens: number;
  CacheWriteTokens: number;
  ReasoningTokens: number;
  TotalTokens: number;
  Cost: string | null;
  UnpricedCalls: number;
  SavedCost: string | null;
}

const RUN_COLUMNS = `RunId, TraceId, RunName, WorkflowId, WorkflowVersion, WorkflowName, ServiceName, Status, FailureClass, FailureReason,
  toString(toUnixTimestamp64Nano(StartTime)) AS StartNs, toString(toUnixTimestamp64Nano(EndTime)) AS EndNs, DurationMs,
  Steps, LlmCalls, ToolCalls, Retries, Fallbacks, CacheHits, ErrorSpans, InputTokens, OutputTokens, CacheReadTokens,
  CacheWriteTokens, ReasoningTokens, TotalTokens, toString(CostUsd) AS Cost, UnpricedCalls, toString(SavedCostUsd) AS SavedCost`;

export const isoOfNs = (ns: string | bigint) => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();

function toRunSummary(row: RunRow, nowMs: number): RunSummary {
  const startMs = Number(BigInt(row.StartNs) / 1_000_000n);
  const duration = Number(row.DurationMs);
  return {
    run_id: row.RunId,
    trace_id: row.TraceId,
    run_name: row.RunName,
    workflow_id: row.WorkflowId,
    workflow_version: row.WorkflowVersion,
    workflow_name: row.WorkflowName,
    service_name: row.ServiceName,
    status: row.Status,
    failure_class: row.FailureClass,
    failure_reason: row.FailureReason,
    start_time: isoOfNs(row.StartNs),
    end_time: isoOfNs(row.EndNs),
    duration_ms: duration,
    elapsed_ms: row.Status === 'running' ? Math.max(duration, nowMs - startMs) : duration,
    totals: {
      steps: Number(row.Steps),
      llm_calls: Number(row.LlmCalls),
      tool_calls: Number(row.ToolCalls),
      retries: Number(row.Retries),
      fallbacks: Number(row.Fallbacks),
      cache_hits: Number(row.CacheHits),
      error_spans: Number(row.ErrorSpans),
      input_tokens: Number(row.InputTokens),
      output_tokens: Number(row.OutputTokens),
      cache_read_tokens: Number(row.CacheReadTokens),
      cache_write_tokens: Number(row.CacheWriteTokens),
      reasoning_tokens: Number(row.ReasoningTokens),
      total_tokens: Number(row.TotalTokens),
      cost_usd: canonicalDecimal(row.Cost) ?? '0',
      unpriced_calls: Number(row.UnpricedCalls),
      saved_cost_usd: canonicalDecimal(row.SavedCost),
    },
  };
}

/**
 * Conditions on run_totals (HAVING over a run's aggregated row) that every run the filter
 * selects satisfies. Exact for services, models, failure classes and the start time; for
 * status, workflow and cost they may admit more runs, which exactConditions then remove.
 */
function indexConditions(filter: RunFilter, params: Params): string[] {
  const having: string[] = [];
  const list = (name: string, values: ReadonlySet<string>) => stringList(name, values, params);
  const set = (column: string) => `groupUniqArrayArray(${column})`;
  if (filter.statuses?.size) {
    const statuses = list('statuses', filter.statuses);
    // A run without a run span yet is running.
    having.push(`(hasAny(${set('RunStatuses')}, ${statuses}) OR (empty(${set('RunStatuses')}) AND has(${statuses}, 'running')))`);
  }
  if (filter.workflows?.size) {
    const workflows = list('workflows', filter.workflows);
    having.push(`(hasAny(${set('WorkflowIds')}, ${workflows}) OR hasAny(${set('WorkflowNames')}, ${workflows}))`);
  }
  if (filter.services?.size) having.push(`hasAny(${set('Services')}, ${list('services', filter.services)})`);
  if (filter.models?.size) having.push(`hasAny(${set('Models')}, ${list('models', filter.models)})`);
  if (filter.failureClasses?.size) having.push(`hasAny(${set('FailureClasses')}, ${list('failureClasses', filter.failureClasses)})`);
  if (filter.fromNs !== undefined) {
    params.fromNs = String(filter.fromNs);
    having.push('toUnixTimestamp64Nano(min(StartTime)) >= {fromNs:Int64}');
  }
  if (filter.toNs !== undefined) {
    params.toNs = String(filter.toNs);
    having.push('toUnixTimestamp64Nano(min(StartTime)) < {toNs:Int64}');
  }
  if (filter.minCostUsd !== undefined) {
    params.minCost = filter.minCostUsd;
    // A span stored twice counts twice here: an upper bound, exact in the runs view.
    having.push('sum(CostUsd) >= toDecimal128({minCost:String}, 12)');
  }
  return having;
}

/** The filter's conditions on the runs view that run_totals can only approximate. */
function exactConditions(filter: RunFilter, params: Params): string[] {
  const where: string[] = [];
  if (filter.statuses?.size) where.push(`Status IN ${stringList('statuses', filter.statuses, params)}`);
  if (filter.workflows?.size) {
    const workflows = stringList('workflows', filter.workflows, params);
    where.push(`(WorkflowId IN ${workflows} OR WorkflowName IN ${workflows})`);
  }
  if (filter.minCostUsd !== undefined) {
    params.minCost = filter.minCostUsd;
    where.push('CostUsd >= toDecimal128({minCost:String}, 12)');
  }
  return where;
}

export interface RunsPage {
  runs: RunSummary[];
  next: RunCursor | null;
}

/** Candidates checked per round beyond the first page; rounds grow up to this. */
const MAX_CANDIDATES = 2000;

/** Candidate runs from run_totals, newest first, after `after`. */
async function candidateRuns(store: SpanStore, projectId: string, filter: RunFilter, count: number, after?: RunCursor): Promise<RunCursor[]> {
  const params: Params = { project: projectId, count: String(count) };
  const having = indexConditions(filter, params);
  if (after) {
    params.afterStart = after.startNs;
    params.afterRun = after.runId;
    having.push('(toUnixTimestamp64Nano(min(StartTime)), RunId) < ({afterStart:Int64}, {afterRun:String})');
  }
  const rows = await selectRows<{ RunId: string; StartNs: string }>(
    store,
    `SELECT RunId, toString(toUnixTimestamp64Nano(min(StartTime))) AS StartNs
FROM run_totals
WHERE ProjectId = {project:String}
GROUP BY RunId
${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
ORDER BY min(StartTime) DESC, RunId DESC
LIMIT {count:UInt32}`,
    params,
  );
  return rows.map((row) => ({ startNs: row.StartNs, runId: row.RunId }));
}

/**
 * The `runs` rows of the given runs, from runs_from_totals (one row per run) where that is
 * exact, else from the `runs` view. `where` adds conditions on the view's columns: a run
 * runs_from_totals has is decided there, so the view is asked only about the others.
 */
async function runRows(store: SpanStore, projectId: string, runIds: readonly string[], where: readonly string[] = [], params: Params = {}): Promise<RunRow[]> {
  const of = (ids: readonly string[]) => {
    const p: Params = { ...params, project: projectId };
    return { params: p, where: ['ProjectId = {project:String}', `RunId IN ${stringList('runs', ids, p)}`] };
  };
  const matches = where.length === 0 ? '1' : where.join(' AND ');
  const fast = of(runIds);
  const fromTotals = await selectRows<RunRow & { Matches: number }>(
    store,
    `SELECT ${RUN_COLUMNS}, ${matches} AS Matches FROM runs_from_totals WHERE ${fast.where.join(' AND ')}`,
    fast.params,
  );
  const decided = new Set(fromTotals.map((row) => row.RunId));
  const rest = runIds.filter((id) => !decided.has(id));
  const slow = of(rest);
  const fromView =
    rest.length === 0 ? [] : await selectRows<RunRow>(store, `SELECT ${RUN_COLUMNS} FROM runs WHERE ${[...slow.where, ...where].join(' AND ')}`, slow.params);
  return [...fromTotals.filter((row) => Number(row.Matches) === 1), ...fromView].sort(newestFirst);
}

/** By start time, then run id, descending: the list's order. */
function newestFirst(a: RunRow, b: RunRow): number {
  const [sa, sb] = [BigInt(a.StartNs), BigInt(b.StartNs)];
  if (sa !== sb) return sa > sb ? -1 : 1;
  return a.RunId > b.RunId ? -1 : a.RunId < b.RunId ? 1 : 0;
}

/**
 * A page of runs, newest first. run_totals names the candidates in order (cheap: one row
 * per run); runRows then gives their exact totals and settles the conditions the index
 * only approximates. Should that rule some out, the next candidates are checked.
 */
export async function listRuns(store: SpanStore, projectId: string, filter: RunFilter, limit: number, after?: RunCursor): Promise<RunsPage> {
  const rows: RunRow[] = [];
  let position = after;
  for (let count = limit + 1; rows.length <= limit; count = Math.min(count * 4, MAX_CANDIDATES)) {
    const candidates = await candidateRuns(store, projectId, filter, count, position);
    if (candidates.length > 0) {
      const params: Params = {};
      rows.push(...(await runRows(store, projectId, candidates.map((c) => c.runId), exactConditions(filter, params), params)));
    }
    if (candidates.length < count) break;
    position = candidates[candidates.length - 1];
  }
  const now = Date.now();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    runs: page.map((row) => toRunSummary(row, now)),
    next: rows.length > limit && last ? { startNs: last.StartNs, runId: last.RunId } : null,
  };
}

/** Where a run's spans started: every one at or after `fromNs` and at or before `toNs`. */
export interface RunSpanRange {
  fromNs: bigint;
  toNs: bigint;
}

/** The run's summary, and the exact range its spans started in (its first start, its last end). */
export async function readRun(store: SpanStore, projectId: string, runId: string): Promise<{ summary: RunSummary; spans: RunSpanRange } | undefined> {
  const [row] = await runRows(store, projectId, [runId]);
  return row && { summary: toRunSummary(row, Date.now()), spans: { fromNs: BigInt(row.StartNs), toNs: BigInt(row.EndNs) } };
}

export async function getRun(store: SpanStore, projectId: string, runId: string): Promise<RunSummary | undefined> {
  return (await readRun(store, projectId, runId))?.summary;
}

/**
 * Deletes the run's rows (lightweight DELETE): its spans in otel_traces, the trace-id
 * lookup rows of traces left empty, its run_totals row, then its span_facts rows — last,
 * because they are how the run's spans are found, so an interrupted deletion can simply be
 * repeated. Returns how many spans the run had (0: no such run).
 */
export async function deleteRun(store: SpanStore, projectId: string, runId: string): Promise<number> {
  const params = { project: projectId, run: runId };
  const [counted] = await selectRows<{ Spans: number }>(
    store,
    'SELECT count() AS Spans FROM span_facts FINAL WHERE ProjectId = {project:String} AND RunId = {run:String}',
    params,
    SPAN_FACTS_FINAL,
  );
  const spans = Number(counted?.Spans ?? 0);
  if (spans === 0) return 0;
  const runSpans = 'SELECT TraceId, SpanId FROM span_facts WHERE ProjectId = {project:String} AND RunId = {run:String}';
  const runTraces = 'SELECT TraceId FROM span_facts WHERE ProjectId = {project:String} AND RunId = {run:String}';
  const statements = [
    `DELETE FROM otel_traces WHERE ProjectId = {project:String} AND (TraceId, SpanId) IN (${runSpans})`,
    `DELETE FROM otel_traces_trace_id_ts WHERE TraceId IN (${runTraces}) AND TraceId NOT IN (SELECT TraceId FROM otel_traces WHERE TraceId IN (${runTraces}))`,
    'DELETE FROM run_totals WHERE ProjectId = {project:String} AND RunId = {run:String}',
    'DELETE FROM span_facts WHERE ProjectId = {project:String} AND RunId = {run:String}',
  ];
  for (const sql of statements) await store.execute({ sql, params });
  return spans;
}
