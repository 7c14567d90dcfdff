// Runs: a table of runs; clicking a trace id shows that run's steps, LLM calls and trace.
import type { DashboardSpec, DataLink } from './panels.ts';
import { PROJECT, RUNS_IN_RANGE, RUNS_IN_SCOPE, SELECTED_TRACE } from './sql.ts';
import { traceByIdSql } from './traces.ts';
import { scopeVariables, traceIdVariable } from './variables.ts';

export const RUNS_UID = 'flowtrace-runs';

/** Opens the Runs dashboard on the clicked trace id, keeping time range and scope. */
export const openTrace: DataLink = {
  title: 'Open trace',
  url:
    `/d/${RUNS_UID}/flowtrace-runs?\${__url_time_range}&\${project:queryparam}&\${service:queryparam}` +
    '&${workflow:queryparam}&var-trace_id=${__value.raw}',
};

export const STATUS_COLORS = { succeeded: 'green', failed: 'red', canceled: 'orange', running: 'blue', Ok: 'green', Error: 'red' };

export const runs: DashboardSpec = {
  uid: RUNS_UID,
  title: 'FlowTrace / Runs',
  description: 'Run explorer: every run with its totals; pick one to see its steps, LLM calls and trace timeline.',
  variables: [...scopeVariables(), traceIdVariable()],
  sections: [
    {
      title: 'Runs',
      panels: [
        {
          kind: 'table', title: 'Runs', description: 'Runs that started in the time range, newest first. Click a trace id to inspect the run below.',
          sql: `SELECT StartTime AS Started, RunId AS Run, if(WorkflowId = '', RunName, WorkflowId) AS Workflow,
  ServiceName AS Service, Status, DurationMs AS Duration, Steps, LlmCalls AS "LLM calls", Retries, Fallbacks,
  CacheHits AS "Cache hits", TotalTokens AS Tokens, toFloat64(CostUsd) AS Cost, FailureReason AS Failure, TraceId AS Trace
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}
ORDER BY StartTime DESC
LIMIT 500`,
          columns: [
            { name: 'Started' }, { name: 'Run' }, { name: 'Workflow' }, { name: 'Service' },
            { name: 'Status', colors: STATUS_COLORS }, { name: 'Duration', unit: 'ms' }, { name: 'Steps' }, { name: 'LLM calls' },
            { name: 'Retries' }, { name: 'Fallbacks' }, { name: 'Cache hits' }, { name: 'Tokens', unit: 'short' },
            { name: 'Cost', unit: 'currencyUSD' }, { name: 'Failure' }, { name: 'Trace', link: openTrace },
          ],
          width: 24, height: 12,
        },
      ],
    },
    {
      title: 'Selected run',
      panels: [
        {
          kind: 'table', title: 'Steps', description: 'Steps of the selected trace in execution order, with router branches and cache hits.',
          sql: `SELECT Timestamp AS Started, StepId AS Step, NodeId AS Node, NodeType AS Type, SemanticLabel AS Label,
  RouterBranch AS Branch, LatencyMs AS Latency, StatusCode AS Status, CacheHit AS "Cache hit", FailureReason AS Failure
FROM steps
WHERE ${SELECTED_TRACE}
ORDER BY Timestamp`,
          columns: [
            { name: 'Started' }, { name: 'Step' }, { name: 'Node' }, { name: 'Type' }, { name: 'Label' }, { name: 'Branch' },
            { name: 'Latency', unit: 'ms' }, { name: 'Status', colors: STATUS_COLORS }, { name: 'Cache hit' }, { name: 'Failure' },
          ],
          width: 24, height: 8,
        },
        {
          kind: 'table', title: 'LLM calls', description: 'Every inference attempt (and cache hit) of the selected trace: retries, fallbacks, tokens, cost.',
          sql: `SELECT Timestamp AS Started, NodeId AS Node, SemanticLabel AS Label, Provider, RequestModel AS Model, Attempt,
  FallbackFrom AS "Fallback from", CacheHit AS "Cache hit", InputTokens AS "Input tokens", OutputTokens AS "Output tokens",
  toFloat64(CostUsd) AS Cost, LatencyMs AS Latency, StatusCode AS Status, FailureReason AS Failure
FROM llm_calls
WHERE ${SELECTED_TRACE}
ORDER BY Timestamp`,
          columns: [
            { name: 'Started' }, { name: 'Node' }, { name: 'Label' }, { name: 'Provider' }, { name: 'Model' }, { name: 'Attempt' },
            { name: 'Fallback from' }, { name: 'Cache hit' }, { name: 'Input tokens', unit: 'short' }, { name: 'Output tokens', unit: 'short' },
            { name: 'Cost', unit: 'currencyUSD' }, { name: 'Latency', unit: 'ms' }, { name: 'Status', colors: STATUS_COLORS }, { name: 'Failure' },
          ],
          width: 24, height: 8,
        },
        {
          kind: 'traces', title: 'Trace', description: 'Span timeline of the selected trace from otel_traces.',
          sql: traceByIdSql('${trace_id:singlequote}', PROJECT),
          traceId: '${trace_id}',
          columns: [
            'traceID', 'spanID', 'parentSpanID', 'serviceName', 'operationName', 'startTime', 'duration', 'tags', 'serviceTags',
            'statusCode', 'logs', 'references', 'kind', 'statusMessage', 'traceState',
          ].map((name) => ({ name })),
          width: 24, height: 16,
        },
      ],
    },
  ],
};
