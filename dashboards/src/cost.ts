// Cost: where the money goes (provider, model, workflow, semantic label), what the cache
// saved and what failed attempts burned.
import type { DashboardSpec, PanelSpec } from './panels.ts';
import { RUNS_IN_RANGE, RUNS_IN_SCOPE, SPANS_IN_SCOPE } from './sql.ts';
import { scopeVariables } from './variables.ts';

const USD = 'currencyUSD';

const stat = (title: string, description: string, sql: string, column: string, unit: string): PanelSpec => ({
  kind: 'stat', title, description, sql, columns: [{ name: column }], unit, width: 6, height: 4,
});

/** Provider calls only: cache hits cost nothing and carry the saving instead. */
const CALLS = `${SPANS_IN_SCOPE} AND CacheHit = 0`;

export const cost: DashboardSpec = {
  uid: 'flowtrace-cost',
  title: 'FlowTrace / Cost',
  description: 'LLM cost by provider, model, workflow and semantic label; cache savings; cost of failed attempts.',
  variables: scopeVariables(),
  sections: [
    {
      title: 'Totals',
      panels: [
        stat('Cost', 'Provider cost of every priced inference attempt.', `SELECT toFloat64(sum(CostUsd)) AS cost_usd
FROM llm_calls
WHERE ${CALLS}`, 'cost_usd', USD),
        stat('Cache savings', 'What the calls answered from the cache would have cost.', `SELECT toFloat64(ifNull(sum(SavedCostUsd), 0)) AS saved_usd
FROM llm_calls
WHERE ${SPANS_IN_SCOPE} AND CacheHit = 1`, 'saved_usd', USD),
        stat('Wasted on failed attempts', 'Cost of attempts that failed (e.g. unparseable output) and had to be retried or fell back.', `SELECT toFloat64(ifNull(sum(CostUsd), 0)) AS wasted_usd
FROM llm_calls
WHERE ${CALLS} AND StatusCode = 'Error'`, 'wasted_usd', USD),
        stat('Unpriced attempts', 'Attempts whose model has no known price: not in any cost total (see CostReason in llm_calls).', `SELECT countIf(CostUsd IS NULL) AS unpriced
FROM llm_calls
WHERE ${CALLS}`, 'unpriced', 'short'),
      ],
    },
    {
      title: 'Breakdown',
      panels: [
        {
          kind: 'timeseries', title: 'Cost by provider', description: 'Cost of inference attempts per provider over time.',
          sql: `SELECT $__timeInterval(Timestamp) AS time, Provider, toFloat64(sum(CostUsd)) AS cost_usd
FROM llm_calls
WHERE ${CALLS}
GROUP BY time, Provider
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'Provider' }, { name: 'cost_usd' }], unit: USD, width: 12, height: 8,
        },
        {
          kind: 'piechart', title: 'Cost by semantic label', description: 'Cost per semantic label (flowtrace.semantic_label) of the calling step.',
          sql: `SELECT if(SemanticLabel = '', '(none)', SemanticLabel) AS Label, toFloat64(sum(CostUsd)) AS cost_usd
FROM llm_calls
WHERE ${CALLS}
GROUP BY Label
ORDER BY cost_usd DESC`,
          columns: [{ name: 'Label' }, { name: 'cost_usd' }], unit: USD, width: 12, height: 8,
        },
        {
          kind: 'table', title: 'Cost by model', description: 'Attempts, tokens and cost per provider and requested model.',
          sql: `SELECT Provider, RequestModel AS Model,
  count() AS Attempts,
  countIf(StatusCode = 'Error') AS Failed,
  sum(InputTokens) AS "Input tokens",
  sum(OutputTokens) AS "Output tokens",
  sum(CacheReadTokens) AS "Cache-read tokens",
  toFloat64(sum(CostUsd)) AS Cost,
  toFloat64(sum(CostUsd)) / nullIf(countIf(CostUsd IS NOT NULL), 0) AS "Cost per attempt",
  countIf(CostUsd IS NULL) AS Unpriced
FROM llm_calls
WHERE ${CALLS}
GROUP BY Provider, Model
ORDER BY Cost DESC`,
          columns: [
            { name: 'Provider' }, { name: 'Model' }, { name: 'Attempts' }, { name: 'Failed' },
            { name: 'Input tokens', unit: 'short' }, { name: 'Output tokens', unit: 'short' }, { name: 'Cache-read tokens', unit: 'short' },
            { name: 'Cost', unit: USD }, { name: 'Cost per attempt', unit: USD }, { name: 'Unpriced' },
          ],
          width: 12, height: 8,
        },
        {
          kind: 'table', title: 'Cost by workflow', description: 'Runs, cost and cache savings per workflow (runs started in the range).',
          sql: `SELECT if(WorkflowId = '', '(none)', WorkflowId) AS Workflow,
  count() AS Runs,
  toFloat64(sum(CostUsd)) AS Cost,
  toFloat64(sum(CostUsd)) / count() AS "Cost per run",
  toFloat64(ifNull(sum(SavedCostUsd), 0)) AS "Cache savings",
  sum(TotalTokens) AS Tokens
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}
GROUP BY Workflow
ORDER BY Cost DESC`,
          columns: [
            { name: 'Workflow' }, { name: 'Runs' }, { name: 'Cost', unit: USD }, { name: 'Cost per run', unit: USD },
            { name: 'Cache savings', unit: USD }, { name: 'Tokens', unit: 'short' },
          ],
          width: 12, height: 8,
        },
      ],
    },
    {
      title: 'Savings and waste',
      panels: [
        {
          kind: 'timeseries', title: 'Cache savings over time', description: 'Cost avoided by cache hits.',
          sql: `SELECT $__timeInterval(Timestamp) AS time, toFloat64(sum(SavedCostUsd)) AS saved_usd
FROM llm_calls
WHERE ${SPANS_IN_SCOPE} AND CacheHit = 1
GROUP BY time
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'saved_usd' }], unit: USD, width: 12, height: 8,
        },
        {
          kind: 'timeseries', title: 'Cost of failed attempts by reason', description: 'Cost burned by failed attempts, per failure reason.',
          sql: `SELECT $__timeInterval(Timestamp) AS time, FailureReason, toFloat64(ifNull(sum(CostUsd), 0)) AS wasted_usd
FROM llm_calls
WHERE ${CALLS} AND StatusCode = 'Error'
GROUP BY time, FailureReason
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'FailureReason' }, { name: 'wasted_usd' }], unit: USD, width: 12, height: 8,
        },
      ],
    },
  ],
};
