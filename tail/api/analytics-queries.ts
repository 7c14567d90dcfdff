// Aggregates for the analytics endpoints: seed 001's summary (runs, durations, calls,
// tokens and cost by provider and model) plus cache, fallback and waste figures, the
// failure breakdown (root causes by class and reason, recovered vs terminal) and cost by
// semantic label. Same definitions as the Grafana dashboards (dashboards/src).
import type { z } from 'zod/v4';
import type { SpanStore } from '../../storage/store.ts';
import { canonicalDecimal } from '../events/stream-span.ts';
import { selectRows, stringList, type Params } from '../query/rows.ts';
import { RUN_STATUSES, type AnalyticsSummarySchema, type CostByLabelSchema, type FailuresBreakdownSchema } from './schemas.ts';
import { isoOfNs } from './run-queries.ts';

export interface AnalyticsScope {
  projectId: string;
  fromNs: bigint;
  toNs: bigint;
  services?: ReadonlySet<string>;
  workflows?: ReadonlySet<string>;
}

type Summary = z.output<typeof AnalyticsSummarySchema>;
type Failures = z.output<typeof FailuresBreakdownSchema>;
type CostByLabel = z.output<typeof CostByLabelSchema>;

const usd = (value: string | null | undefined) => canonicalDecimal(value) ?? '0';
const num = (value: number | string | null | undefined) => (value === null || value === undefined ? 0 : Number(value));
const nullableNum = (value: number | string | null | undefined) =>
  value === null || value === undefined || Number.isNaN(Number(value)) ? null : Number(value);
const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** Parameters and conditions shared by every aggregate of a scope. */
function scopeOf(scope: AnalyticsScope) {
  const params: Params = { project: scope.projectId, fromNs: String(scope.fromNs), toNs: String(scope.toNs) };
  const spanTime = 'toUnixTimestamp64Nano(Timestamp) >= {fromNs:Int64} AND toUnixTimestamp64Nano(Timestamp) < {toNs:Int64}';
  const spans = ['ProjectId = {project:String}', spanTime];
  const runs = [
    'ProjectId = {project:String}',
    'toUnixTimestamp64Nano(StartTime) >= {fromNs:Int64} AND toUnixTimestamp64Nano(StartTime) < {toNs:Int64}',
    // A run that starts in the range has its first span there: aggregate only those runs.
    `RunId IN (SELECT RunId FROM span_facts WHERE ProjectId = {project:String} AND ${spanTime})`,
  ];
  if (scope.services?.size) {
    const services = stringList('services', scope.services, params);
    spans.push(`ServiceName IN ${services}`);
    runs.push(`RunId IN (SELECT RunId FROM span_facts WHERE ProjectId = {project:String} AND ServiceName IN ${services})`);
  }
  if (scope.workflows?.size) {
    const workflows = stringList('workflows', scope.workflows, params);
    // A run's workflow is recorded on its run span.
    spans.push(
      `RunId IN (SELECT RunId FROM span_facts WHERE ProjectId = {project:String} AND Role = 'run' AND WorkflowId IN ${workflows})`,
    );
    runs.push(`WorkflowId IN ${workflows}`);
  }
  return { params, spans: spans.join(' AND '), runs: runs.join(' AND ') };
}

const dateRange = (scope: AnalyticsScope) => ({ start_date: isoOfNs(scope.fromNs), end_date: isoOfNs(scope.toNs) });

interface RunStatsRow {
  Runs: number;
  Finished: number;
  Succeeded: number;
  Failed: number;
  Canceled: number;
  Running: number;
  AvgMs: number | null;
  MinMs: number | null;
  MaxMs: number | null;
  P50Ms: number | null;
  P95Ms: number | null;
}

interface CallRow {
  Provider: string;
  Model: string;
  Calls: number;
  Failed: number;
  InputTokens: number;
  OutputTokens: number;
  CacheReadTokens: number;
  Cost: string | null;
  Unpriced: number;
}

interface CallTotalsRow {
  Calls: number;
  InputTokens: number;
  OutputTokens: number;
  CacheReadTokens: number;
  Cost: string | null;
  Wasted: string | null;
  CacheHits: number;
  Saved: string | null;
  Requests: number;
  FellBack: number;
}

export async function analyticsSummary(store: SpanStore, scope: AnalyticsScope): Promise<Summary> {
  const { params, spans, runs } = scopeOf(scope);
  const finished = "Status != 'running'";
  const [stats, workflows, calls, [totals]] = await Promise.all([
    selectRows<RunStatsRow>(
      store,
      `SELECT count() AS Runs, countIf(${finished}) AS Finished,
        countIf(Status = 'succeeded') AS Succeeded, countIf(Status = 'failed') AS Failed,
        countIf(Status = 'canceled') AS Canceled, countIf(Status = 'running') AS Running,
        avgIf(DurationMs, ${finished}) AS AvgMs, minIf(DurationMs, ${finished}) AS MinMs, maxIf(DurationMs, ${finished}) AS MaxMs,
        quantileExactIf(0.5)(DurationMs, ${finished}) AS P50Ms, quantileExactIf(0.95)(DurationMs, ${finished}) AS P95Ms
      FROM runs WHERE ${runs}`,
      params,
    ),
    selectRows<{ Workflow: string; Runs: number }>(
      store,
      `SELECT if(WorkflowId = '', if(WorkflowName = '', '(none)', WorkflowName), WorkflowId) AS Workflow, count() AS Runs
      FROM runs WHERE ${runs} GROUP BY Workflow ORDER BY Runs DESC, Workflow`,
      params,
    ),
    selectRows<CallRow>(
      store,
      `SELECT Provider, RequestModel AS Model, count() AS Calls, countIf(StatusCode = 'Error') AS Failed,
        sum(InputTokens) AS InputTokens, sum(OutputTokens) AS OutputTokens, sum(CacheReadTokens) AS CacheReadTokens,
        toString(ifNull(sum(CostUsd), 0)) AS Cost, countIf(CostStatus = 'unknown_model') AS Unpriced
      FROM llm_calls WHERE ${spans} AND CacheHit = 0
      GROUP BY Provider, Model ORDER BY sum(CostUsd) DESC, Provider, Model`,
      params,
    ),
    selectRows<CallTotalsRow>(
      store,
      `SELECT countIf(CacheHit = 0) AS Calls,
        sumIf(InputTokens, CacheHit = 0) AS InputTokens, sumIf(OutputTokens, CacheHit = 0) AS OutputTokens,
        sumIf(CacheReadTokens, CacheHit = 0) AS CacheReadTokens,
        toString(ifNull(sumIf(CostUsd, CacheHit = 0), 0)) AS Cost,
        toString(ifNull(sumIf(CostUsd, CacheHit = 0 AND StatusCode = 'Error'), 0)) AS Wasted,
        countIf(CacheHit = 1) AS CacheHits,
        toString(ifNull(sumIf(SavedCostUsd, CacheHit = 1), 0)) AS Saved,
        uniqExactIf((TraceId, ParentSpanId), CacheHit = 0) AS Requests,
        uniqExactIf((TraceId, ParentSpanId), CacheHit = 0 AND FallbackFrom != '') AS FellBack
      FROM llm_calls WHERE ${spans}`,
      params,
    ),
  ]);
  const s = stats[0]!;
  const count = (pick: (row: CallRow) => string) => {
    const out: Record<string, number> = {};
    for (const row of calls) out[pick(row)] = (out[pick(row)] ?? 0) + num(row.Calls);
    return out;
  };
  const statusCounts = { running: num(s.Running), succeeded: num(s.Succeeded), failed: num(s.Failed), canceled: num(s.Canceled) };
  const hits = num(totals?.CacheHits);
  const requests = num(totals?.Requests);
  return {
    date_range: dateRange(scope),
    execution_analytics: {
      total_executions: num(s.Runs),
      status_counts: Object.fromEntries(RUN_STATUSES.map((status) => [status, statusCounts[status]])) as Summary['execution_analytics']['status_counts'],
      success_rate: ratio(num(s.Succeeded), num(s.Finished)),
      workflow_counts: Object.fromEntries(workflows.map((w) => [w.Workflow, num(w.Runs)])),
      duration_stats: {
        avg_duration_ms: num(s.Finished) === 0 ? null : nullableNum(s.AvgMs),
        min_duration_ms: num(s.Finished) === 0 ? null : nullableNum(s.MinMs),
        max_duration_ms: num(s.Finished) === 0 ? null : nullableNum(s.MaxMs),
        p50_duration_ms: num(s.Finished) === 0 ? null : nullableNum(s.P50Ms),
        p95_duration_ms: num(s.Finished) === 0 ? null : nullableNum(s.P95Ms),
      },
    },
    llm_call_analytics: {
      total_calls: num(totals?.Calls),
      provider_counts: count((row) => row.Provider),
      model_counts: count((row) => row.Model),
      token_stats: {
        total_input_tokens: num(totals?.InputTokens),
        total_output_tokens: num(totals?.OutputTokens),
        total_cache_read_tokens: num(totals?.CacheReadTokens),
        total_tokens: num(totals?.InputTokens) + num(totals?.OutputTokens),
        total_cost: usd(totals?.Cost),
      },
      by_provider_model: calls.map((row) => ({
        provider: row.Provider,
        model: row.Model,
        calls: num(row.Calls),
        failed_calls: num(row.Failed),
        input_tokens: num(row.InputTokens),
        output_tokens: num(row.OutputTokens),
        cache_read_tokens: num(row.CacheReadTokens),
        cost_usd: usd(row.Cost),
        unpriced_calls: num(row.Unpriced),
      })),
    },
    cache_analytics: { cache_hits: hits, cache_hit_rate: ratio(hits, hits + requests), cost_saved_usd: usd(totals?.Saved) },
    fallback_rate: ratio(num(totals?.FellBack), requests),
    failed_attempt_cost_usd: usd(totals?.Wasted),
  };
}

interface FailureRow {
  FailureClass: string;
  FailureReason: string;
  Failures: number;
  Recovered: number;
  Terminal: number;
  Pending: number;
  Runs: number;
}

/** Root causes only: a step or run failing because a child failed is not counted again. */
export async function failureBreakdown(store: SpanStore, scope: AnalyticsScope): Promise<Failures> {
  const { params, spans } = scopeOf(scope);
  const rows = await selectRows<FailureRow>(
    store,
    `SELECT FailureClass, FailureReason, count() AS Failures,
      countIf(Outcome = 'recovered') AS Recovered, countIf(Outcome = 'terminal') AS Terminal, countIf(Outcome = 'pending') AS Pending,
      uniqExact(RunId) AS Runs
    FROM failures
    WHERE ${spans}
      AND (TraceId, SpanId) NOT IN (SELECT TraceId, ParentSpanId FROM span_facts
        WHERE ProjectId = {project:String} AND FailureClass != '' AND toUnixTimestamp64Nano(Timestamp) >= {fromNs:Int64})
    GROUP BY FailureClass, FailureReason
    ORDER BY Failures DESC, FailureClass, FailureReason`,
    params,
  );
  const byReason = rows.map((r) => ({
    failure_class: r.FailureClass,
    failure_reason: r.FailureReason,
    failures: num(r.Failures),
    recovered: num(r.Recovered),
    terminal: num(r.Terminal),
    pending: num(r.Pending),
    runs: num(r.Runs),
  }));
  const zero = () => ({ failures: 0, recovered: 0, terminal: 0, pending: 0 });
  const totals = zero();
  const byClass = new Map<string, ReturnType<typeof zero>>();
  for (const r of byReason) {
    const c = byClass.get(r.failure_class) ?? zero();
    for (const key of ['failures', 'recovered', 'terminal', 'pending'] as const) {
      c[key] += r[key];
      totals[key] += r[key];
    }
    byClass.set(r.failure_class, c);
  }
  return {
    date_range: dateRange(scope),
    totals,
    by_class: [...byClass].map(([failure_class, c]) => ({ failure_class, ...c })).sort((a, b) => b.failures - a.failures),
    by_reason: byReason,
  };
}

interface LabelRow {
  Label: string;
  Calls: number;
  CacheHits: number;
  InputTokens: number;
  OutputTokens: number;
  Cost: string | null;
  Saved: string | null;
  Unpriced: number;
}

export async function costByLabel(store: SpanStore, scope: AnalyticsScope): Promise<CostByLabel> {
  const { params, spans } = scopeOf(scope);
  const rows = await selectRows<LabelRow>(
    store,
    `SELECT SemanticLabel AS Label, countIf(CacheHit = 0) AS Calls, countIf(CacheHit = 1) AS CacheHits,
      sumIf(InputTokens, CacheHit = 0) AS InputTokens, sumIf(OutputTokens, CacheHit = 0) AS OutputTokens,
      toString(ifNull(sumIf(CostUsd, CacheHit = 0), 0)) AS Cost, toString(ifNull(sumIf(SavedCostUsd, CacheHit = 1), 0)) AS Saved,
      countIf(CacheHit = 0 AND CostStatus = 'unknown_model') AS Unpriced
    FROM llm_calls WHERE ${spans}
    GROUP BY Label ORDER BY ifNull(sumIf(CostUsd, CacheHit = 0), 0) DESC, Label`,
    params,
  );
  return {
    date_range: dateRange(scope),
    labels: rows.map((r) => ({
      semantic_label: r.Label,
      calls: num(r.Calls),
      cache_hits: num(r.CacheHits),
      input_tokens: num(r.InputTokens),
      output_tokens: num(r.OutputTokens),
      cost_usd: usd(r.Cost),
      saved_cost_usd: usd(r.Saved),
      unpriced_calls: num(r.Unpriced),
    })),
  };
}
