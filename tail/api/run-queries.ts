// Runs: list (filters + keyset pagination on (StartTime, RunId)), detail and deletion,
// over the `runs` view and span_facts. Every statement is scoped by project.
import type { z } from 'zod/v4';
import type { SpanStore } from '../../storage/store.ts';
import { canonicalDecimal } from '../events/stream-span.ts';
import { selectRows, stringList, type Params } from '../query/rows.ts';
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

/** Conditions on the runs view for a filter, with their parameters added to `params`. */
function filterConditions(filter: RunFilter, params: Params): string[] {
  const where: string[] = [];
  const list = (name: string, values: ReadonlySet<string>) => stringList(name, values, params);
  /** Runs having a span that satisfies `condition` (span_facts is keyed by project and run). */
  const withSpan = (condition: string) =>
    `RunId IN (SELECT RunId FROM span_facts WHERE ProjectId = {project:String} AND ${condition})`;
  if (filter.statuses?.size) where.push(`Status IN ${list('statuses', filter.statuses)}`);
  if (filter.workflows?.size) {
    const workflows = list('workflows', filter.workflows);
    where.push(`(WorkflowId IN ${workflows} OR WorkflowName IN ${workflows})`);
  }
  if (filter.services?.size) where.push(withSpan(`ServiceName IN ${list('services', filter.services)}`));
  if (filter.models?.size) {
    const models = list('models', filter.models);
    where.push(withSpan(`IsInference = 1 AND (RequestModel IN ${models} OR ResponseModel IN ${models})`));
  }
  if (filter.failureClasses?.size) where.push(withSpan(`FailureClass IN ${list('failureClasses', filter.failureClasses)}`));
  if (filter.fromNs !== undefined || filter.toNs !== undefined) {
    // A run that starts in the range has its first span in it: aggregate only those runs.
    const bounds: string[] = [];
    if (filter.fromNs !== undefined) {
      params.fromNs = String(filter.fromNs);
      bounds.push('toUnixTimestamp64Nano(Timestamp) >= {fromNs:Int64}');
      where.push('toUnixTimestamp64Nano(StartTime) >= {fromNs:Int64}');
    }
    if (filter.toNs !== undefined) {
      params.toNs = String(filter.toNs);
      bounds.push('toUnixTimestamp64Nano(Timestamp) < {toNs:Int64}');
      where.push('toUnixTimestamp64Nano(StartTime) < {toNs:Int64}');
    }
    where.push(withSpan(bounds.join(' AND ')));
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

export async function listRuns(store: SpanStore, projectId: string, filter: RunFilter, limit: number, after?: RunCursor): Promise<RunsPage> {
  const params: Params = { project: projectId, limit: String(limit + 1) };
  const where = ['ProjectId = {project:String}', ...filterConditions(filter, params)];
  if (after) {
    params.afterStart = after.startNs;
    params.afterRun = after.runId;
    where.push('(toUnixTimestamp64Nano(StartTime), RunId) < ({afterStart:Int64}, {afterRun:String})');
  }
  const rows = await selectRows<RunRow>(
    store,
    `SELECT ${RUN_COLUMNS} FROM runs WHERE ${where.join(' AND ')} ORDER BY StartTime DESC, RunId DESC LIMIT {limit:UInt32}`,
    params,
  );
  const now = Date.now();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    runs: page.map((row) => toRunSummary(row, now)),
    next: rows.length > limit && last ? { startNs: last.StartNs, runId: last.RunId } : null,
  };
}

export async function getRun(store: SpanStore, projectId: string, runId: string): Promise<RunSummary | undefined> {
  const rows = await selectRows<RunRow>(
    store,
    `SELECT ${RUN_COLUMNS} FROM runs WHERE ProjectId = {project:String} AND RunId = {run:String}`,
    { project: projectId, run: runId },
  );
  return rows[0] && toRunSummary(rows[0], Date.now());
}

/**
 * Deletes the run's rows (lightweight DELETE): its spans in otel_traces, the trace-id
 * lookup rows of traces left empty, then its span_facts rows — last, because they are
 * how the run's spans are found, so an interrupted deletion can simply be repeated.
 * Returns how many spans the run had (0: no such run).
 */
export async function deleteRun(store: SpanStore, projectId: string, runId: string): Promise<number> {
  const params = { project: projectId, run: runId };
  const [counted] = await selectRows<{ Spans: number }>(
    store,
    'SELECT count() AS Spans FROM span_facts FINAL WHERE ProjectId = {project:String} AND RunId = {run:String}',
    params,
  );
  const spans = Number(counted?.Spans ?? 0);
  if (spans === 0) return 0;
  const runSpans = 'SELECT TraceId, SpanId FROM span_facts WHERE ProjectId = {project:String} AND RunId = {run:String}';
  const runTraces = 'SELECT TraceId FROM span_facts WHERE ProjectId = {project:String} AND RunId = {run:String}';
  const statements = [
    `DELETE FROM otel_traces WHERE ProjectId = {project:String} AND (TraceId, SpanId) IN (${runSpans})`,
    `DELETE FROM otel_traces_trace_id_ts WHERE TraceId IN (${runTraces}) AND TraceId NOT IN (SELECT TraceId FROM otel_traces WHERE TraceId IN (${runTraces}))`,
    'DELETE FROM span_facts WHERE ProjectId = {project:String} AND RunId = {run:String}',
  ];
  for (const sql of statements) await store.execute({ sql, params });
  return spans;
}
