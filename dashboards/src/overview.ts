// Overview: how many runs, how many succeed, what they cost and how long they take.
import type { DashboardSpec, PanelSpec } from './panels.ts';
import { RUNS_IN_RANGE, RUNS_IN_SCOPE, SPANS_IN_SCOPE } from './sql.ts';
import { scopeVariables } from './variables.ts';

const stat = (title: string, description: string, sql: string, column: string, unit: string): PanelSpec => ({
  kind: 'stat', title, description, sql, columns: [{ name: column }], unit, width: 4, height: 4,
});

/** An LLM request is a step that called a provider (its attempts share the step as parent) or was served from the cache. */
const REQUESTS = 'uniqExactIf((TraceId, ParentSpanId), CacheHit = 0)';

export const overview: DashboardSpec = {
  uid: 'flowtrace-overview',
  title: 'FlowTrace / Overview',
  description: 'Runs, success rate, cost, tokens, latency, cache hits and fallbacks of LLM agent workflows.',
  variables: scopeVariables(),
  sections: [
    {
      title: 'Totals',
      panels: [
        stat('Runs', 'Runs that started in the time range.', `SELECT count() AS runs
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}`, 'runs', 'short'),
        stat('Success rate', 'Succeeded runs out of finished runs (running runs excluded).', `SELECT countIf(Status = 'succeeded') / nullIf(countIf(Status != 'running'), 0) AS success_rate
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}`, 'success_rate', 'percentunit'),
        stat('Cost', 'Provider cost of the runs (every priced attempt, failed ones included).', `SELECT toFloat64(sum(CostUsd)) AS cost_usd
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}`, 'cost_usd', 'currencyUSD'),
        stat('Tokens', 'Input plus output tokens of every inference attempt of the runs.', `SELECT sum(TotalTokens) AS tokens
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}`, 'tokens', 'short'),
        stat('Cache-hit rate', 'LLM requests answered from the exact-match cache.', `SELECT countIf(CacheHit = 1) / nullIf(countIf(CacheHit = 1) + ${REQUESTS}, 0) AS cache_hit_rate
FROM llm_calls
WHERE ${SPANS_IN_SCOPE}`, 'cache_hit_rate', 'percentunit'),
        stat('Fallback rate', 'LLM requests (not cached) that fell back to another provider or model.', `SELECT uniqExactIf((TraceId, ParentSpanId), FallbackFrom != '') / nullIf(${REQUESTS}, 0) AS fallback_rate
FROM llm_calls
WHERE ${SPANS_IN_SCOPE}`, 'fallback_rate', 'percentunit'),
      ],
    },
    {
      title: 'Trends',
      panels: [
        {
          kind: 'stat', title: 'Run latency', description: 'Wall-clock duration of finished runs: p50, p95, p99.',
          sql: `SELECT quantile(0.5)(DurationMs) AS p50, quantile(0.95)(DurationMs) AS p95, quantile(0.99)(DurationMs) AS p99
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE} AND Status != 'running'`,
          columns: [{ name: 'p50' }, { name: 'p95' }, { name: 'p99' }], unit: 'ms', width: 6, height: 8,
        },
        {
          kind: 'timeseries', title: 'Runs over time', description: 'Runs by outcome, by start time.',
          sql: `SELECT $__timeInterval(StartTime) AS time,
  countIf(Status = 'succeeded') AS succeeded,
  countIf(Status = 'failed') AS failed,
  countIf(Status = 'canceled') AS canceled,
  countIf(Status = 'running') AS running
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}
GROUP BY time
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'succeeded' }, { name: 'failed' }, { name: 'canceled' }, { name: 'running' }],
          unit: 'short', width: 18, height: 8,
        },
        {
          kind: 'timeseries', title: 'Run latency over time', description: 'p50 / p95 / p99 duration of finished runs.',
          sql: `SELECT $__timeInterval(StartTime) AS time,
  quantile(0.5)(DurationMs) AS p50,
  quantile(0.95)(DurationMs) AS p95,
  quantile(0.99)(DurationMs) AS p99
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE} AND Status != 'running'
GROUP BY time
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'p50' }, { name: 'p95' }, { name: 'p99' }], unit: 'ms', width: 12, height: 8,
        },
        {
          kind: 'timeseries', title: 'Tokens over time', description: 'Tokens of inference attempts; input includes cache reads.',
          sql: `SELECT $__timeInterval(Timestamp) AS time,
  sum(InputTokens) AS input,
  sum(OutputTokens) AS output,
  sum(CacheReadTokens) AS cache_read
FROM llm_calls
WHERE ${SPANS_IN_SCOPE}
GROUP BY time
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'input' }, { name: 'output' }, { name: 'cache_read' }], unit: 'short', width: 12, height: 8,
        },
      ],
    },
  ],
};
