-- The views read only the days and the rows a query needs, with the same results:
--  * do_not_merge_across_partitions_select_final: duplicates of a span share its Timestamp,
--    hence its day partition (migration 008), so FINAL collapses them day by day and a
--    condition on Timestamp skips the other days before merging;
--  * optimize_move_to_prewhere_if_final: conditions on sorting-key columns (project, run,
--    trace, span) filter rows before FINAL instead of after it — exact, since every
--    duplicate of a span has the same key (ClickHouse moves no other condition);
--  * parameterized views bound by time: run_totals_between, runs_started_between and
--    failures_between read only the days of their range; `runs` and `failures` are the
--    same over all time.

-- Run totals over the spans that started in [from, to]: complete for a run whose spans all
-- started in the range (as in runs_started_between), partial otherwise.
CREATE OR REPLACE VIEW run_totals_between AS
SELECT ProjectId, RunId,
       any(TraceId) AS TraceId,
       anyIf(SpanName, Role = 'run') AS RunName,
       anyIf(WorkflowId, Role = 'run') AS WorkflowId,
       anyIf(WorkflowVersion, Role = 'run') AS WorkflowVersion,
       anyIf(WorkflowName, Role = 'run') AS WorkflowName,
       anyIf(ServiceName, Role = 'run') AS ServiceName,
       multiIf(countIf(Role = 'run') = 0, 'running',
               anyIf(FailureReason, Role = 'run') = 'cancelled', 'canceled',
               anyIf(StatusCode, Role = 'run') = 'Error', 'failed', 'succeeded') AS Status,
       anyIf(FailureClass, Role = 'run') AS FailureClass,
       anyIf(FailureReason, Role = 'run') AS FailureReason,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       (toUnixTimestamp64Nano(max(EndTime)) - toUnixTimestamp64Nano(min(Timestamp))) / 1e6 AS DurationMs,
       countIf(Role = 'step') AS Steps,
       countIf(IsInference = 1) AS LlmCalls,
       countIf(Role = 'tool') AS ToolCalls,
       -- Every attempt after its step's first is a retry or a switch to a fallback target;
       -- attempts on a fallback target all carry FallbackFrom, so a switch is one distinct
       -- (step, FallbackFrom) pair.
       uniqExactIf((StepId, FallbackFrom), IsInference = 1 AND FallbackFrom != '') AS Fallbacks,
       countIf(IsInference = 1 AND Attempt > 1) - least(Fallbacks, countIf(IsInference = 1 AND Attempt > 1)) AS Retries,
       countIf(CacheHit = 1 AND Role = 'step') AS CacheHits,
       countIf(StatusCode = 'Error') AS ErrorSpans,
       sumIf(InputTokens, IsInference = 1) AS InputTokens,
       sumIf(OutputTokens, IsInference = 1) AS OutputTokens,
       sumIf(CacheReadTokens, IsInference = 1) AS CacheReadTokens,
       sumIf(CacheWriteTokens, IsInference = 1) AS CacheWriteTokens,
       sumIf(ReasoningTokens, IsInference = 1) AS ReasoningTokens,
       sumIf(InputTokens + OutputTokens, IsInference = 1) AS TotalTokens,
       sumIf(CostUsd, IsInference = 1) AS CostUsd,
       -- Calls whose model has no known price (failed attempts without usage cost nothing).
       countIf(IsInference = 1 AND CostStatus = 'unknown_model') AS UnpricedCalls,
       sum(SavedCostUsd) AS SavedCostUsd
FROM span_facts FINAL
WHERE Timestamp >= {from:DateTime64(9)} AND Timestamp <= {to:DateTime64(9)}
GROUP BY ProjectId, RunId
-- Aggregates are named like the columns they sum; resolve names to columns, not aliases.
SETTINGS prefer_column_name_to_alias = 1, do_not_merge_across_partitions_select_final = 1, optimize_move_to_prewhere_if_final = 1;

-- Every run with its totals: run_totals_between over all time, written out rather than
-- nested (a nested parameterized view costs the engine twice the planning per query).
-- storage/views.test.ts checks that both give the same rows.
CREATE OR REPLACE VIEW runs AS
SELECT ProjectId, RunId,
       any(TraceId) AS TraceId,
       anyIf(SpanName, Role = 'run') AS RunName,
       anyIf(WorkflowId, Role = 'run') AS WorkflowId,
       anyIf(WorkflowVersion, Role = 'run') AS WorkflowVersion,
       anyIf(WorkflowName, Role = 'run') AS WorkflowName,
       anyIf(ServiceName, Role = 'run') AS ServiceName,
       multiIf(countIf(Role = 'run') = 0, 'running',
               anyIf(FailureReason, Role = 'run') = 'cancelled', 'canceled',
               anyIf(StatusCode, Role = 'run') = 'Error', 'failed', 'succeeded') AS Status,
       anyIf(FailureClass, Role = 'run') AS FailureClass,
       anyIf(FailureReason, Role = 'run') AS FailureReason,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       (toUnixTimestamp64Nano(max(EndTime)) - toUnixTimestamp64Nano(min(Timestamp))) / 1e6 AS DurationMs,
       countIf(Role = 'step') AS Steps,
       countIf(IsInference = 1) AS LlmCalls,
       countIf(Role = 'tool') AS ToolCalls,
       -- Every attempt after its step's first is a retry or a switch to a fallback target;
       -- attempts on a fallback target all carry FallbackFrom, so a switch is one distinct
       -- (step, FallbackFrom) pair.
       uniqExactIf((StepId, FallbackFrom), IsInference = 1 AND FallbackFrom != '') AS Fallbacks,
       countIf(IsInference = 1 AND Attempt > 1) - least(Fallbacks, countIf(IsInference = 1 AND Attempt > 1)) AS Retries,
       countIf(CacheHit = 1 AND Role = 'step') AS CacheHits,
       countIf(StatusCode = 'Error') AS ErrorSpans,
       sumIf(InputTokens, IsInference = 1) AS InputTokens,
       sumIf(OutputTokens, IsInference = 1) AS OutputTokens,
       sumIf(CacheReadTokens, IsInference = 1) AS CacheReadTokens,
       sumIf(CacheWriteTokens, IsInference = 1) AS CacheWriteTokens,
       sumIf(ReasoningTokens, IsInference = 1) AS ReasoningTokens,
       sumIf(InputTokens + OutputTokens, IsInference = 1) AS TotalTokens,
       sumIf(CostUsd, IsInference = 1) AS CostUsd,
       -- Calls whose model has no known price (failed attempts without usage cost nothing).
       countIf(IsInference = 1 AND CostStatus = 'unknown_model') AS UnpricedCalls,
       sum(SavedCostUsd) AS SavedCostUsd
FROM span_facts FINAL
GROUP BY ProjectId, RunId
-- Aggregates are named like the columns they sum; resolve names to columns, not aliases.
SETTINGS prefer_column_name_to_alias = 1, do_not_merge_across_partitions_select_final = 1, optimize_move_to_prewhere_if_final = 1;

-- Runs that started in [from, to] (inclusive, like Grafana's $__timeFilter), with complete
-- totals: every span of such a run started at or after `from`. run_totals names them.
CREATE OR REPLACE VIEW runs_started_between AS
SELECT * FROM run_totals_between(from = {from:DateTime64(9)}, to = toDateTime64('2262-04-11 00:00:00', 9, 'UTC'))
WHERE (ProjectId, RunId) IN (
    SELECT ProjectId, RunId FROM run_totals
    GROUP BY ProjectId, RunId
    HAVING min(StartTime) >= {from:DateTime64(9)} AND min(StartTime) <= {to:DateTime64(9)}
);

-- The `runs` view's columns from run_totals, for the runs where they are exact (see 009).
CREATE OR REPLACE VIEW runs_from_totals AS
SELECT ProjectId, RunId,
       groupUniqArrayArray(TraceIds)[1] AS TraceId,
       max(RunName) AS RunName,
       groupUniqArrayArray(WorkflowIds)[1] AS WorkflowId,
       max(WorkflowVersion) AS WorkflowVersion,
       groupUniqArrayArray(WorkflowNames)[1] AS WorkflowName,
       max(ServiceName) AS ServiceName,
       if(sum(RunSpans) = 0, 'running', groupUniqArrayArray(RunStatuses)[1]) AS Status,
       max(FailureClass) AS FailureClass,
       max(FailureReason) AS FailureReason,
       min(StartTime) AS StartTime,
       max(EndTime) AS EndTime,
       (toUnixTimestamp64Nano(max(EndTime)) - toUnixTimestamp64Nano(min(StartTime))) / 1e6 AS DurationMs,
       sum(Steps) AS Steps,
       sum(LlmCalls) AS LlmCalls,
       sum(ToolCalls) AS ToolCalls,
       length(groupUniqArrayArray(FallbackSwitches)) AS Fallbacks,
       sum(LaterAttempts) - least(Fallbacks, sum(LaterAttempts)) AS Retries,
       sum(CacheHits) AS CacheHits,
       sum(ErrorSpans) AS ErrorSpans,
       sum(InputTokens) AS InputTokens,
       sum(OutputTokens) AS OutputTokens,
       sum(CacheReadTokens) AS CacheReadTokens,
       sum(CacheWriteTokens) AS CacheWriteTokens,
       sum(ReasoningTokens) AS ReasoningTokens,
       sum(InputTokens) + sum(OutputTokens) AS TotalTokens,
       if(sum(PricedCalls) = 0, NULL, sum(CostUsd)) AS CostUsd,
       sum(UnpricedCalls) AS UnpricedCalls,
       if(sum(Savings) = 0, NULL, sum(SavedCostUsd)) AS SavedCostUsd
FROM run_totals
GROUP BY ProjectId, RunId
HAVING sum(SpanRows) = uniqExactMerge(Spans) AND length(groupUniqArrayArray(TraceIds)) = 1 AND sum(RunSpans) <= 1
-- Aggregates are named like the columns they sum; resolve names to columns, not aliases.
SETTINGS prefer_column_name_to_alias = 1;

CREATE OR REPLACE VIEW llm_calls AS
SELECT ProjectId, Timestamp, EndTime, DurationNs, DurationNs / 1e6 AS LatencyMs,
       TraceId, SpanId, ParentSpanId, RunId, StepId, NodeId, WorkflowId, SemanticLabel, ServiceName,
       Operation, Provider, RequestModel, ResponseModel, Dialect,
       InputTokens, OutputTokens, CacheReadTokens, CacheWriteTokens, ReasoningTokens,
       CostUsd, CostStatus, CostReason, PriceRef, SavedCostUsd,
       Attempt, FallbackFrom, CacheHit, StatusCode, ErrorType, FailureClass, FailureReason
FROM span_facts FINAL
WHERE IsInference = 1 OR CacheHit = 1
SETTINGS do_not_merge_across_partitions_select_final = 1, optimize_move_to_prewhere_if_final = 1;

CREATE OR REPLACE VIEW steps AS
SELECT s.ProjectId AS ProjectId, s.RunId AS RunId, s.StepId AS StepId, s.NodeId AS NodeId, s.NodeType AS NodeType,
       s.SemanticLabel AS SemanticLabel, s.RouterBranch AS RouterBranch, s.Timestamp AS Timestamp, s.EndTime AS EndTime,
       s.DurationNs / 1e6 AS LatencyMs, s.StatusCode AS StatusCode, s.CacheHit AS CacheHit,
       s.FailureClass AS FailureClass, s.FailureReason AS FailureReason, s.TraceId AS TraceId, s.SpanId AS SpanId
FROM span_facts AS s FINAL
WHERE s.Role = 'step'
SETTINGS do_not_merge_across_partitions_select_final = 1, optimize_move_to_prewhere_if_final = 1;

-- Failed spans that started in [from, to], with their outcome (see `failures`).
CREATE OR REPLACE VIEW failures_between AS
SELECT f.ProjectId AS ProjectId, f.Timestamp AS Timestamp, f.TraceId AS TraceId, f.SpanId AS SpanId,
       f.ParentSpanId AS ParentSpanId, f.RunId AS RunId, f.StepId AS StepId, f.NodeId AS NodeId,
       f.ServiceName AS ServiceName, f.SpanName AS SpanName, f.Role AS Role,
       f.Provider AS Provider, f.RequestModel AS RequestModel, f.Attempt AS Attempt,
       f.FailureClass AS FailureClass, f.FailureReason AS FailureReason, f.FailureEvidence AS Evidence,
       f.ErrorType AS ErrorType, f.StatusMessage AS StatusMessage,
       multiIf(f.ParentSpanId = '', 'terminal', p.SpanId = '', 'pending', p.StatusCode = 'Error', 'terminal', 'recovered') AS Outcome,
       Outcome = 'recovered' AS Recovered
FROM (SELECT * FROM span_facts FINAL WHERE FailureClass != '' AND Timestamp >= {from:DateTime64(9)} AND Timestamp <= {to:DateTime64(9)}) AS f
LEFT JOIN (
    SELECT ProjectId, TraceId, SpanId, StatusCode FROM span_facts FINAL
    WHERE (TraceId, SpanId) IN (SELECT TraceId, ParentSpanId FROM span_facts WHERE FailureClass != '' AND Timestamp >= {from:DateTime64(9)} AND Timestamp <= {to:DateTime64(9)})
      -- A parent is in its child's trace, so it starts no earlier than that trace's first span.
      AND Timestamp >= (
          SELECT min(Start) FROM otel_traces_trace_id_ts
          WHERE TraceId IN (SELECT TraceId FROM span_facts WHERE FailureClass != '' AND Timestamp >= {from:DateTime64(9)} AND Timestamp <= {to:DateTime64(9)})
      )
) AS p ON p.ProjectId = f.ProjectId AND p.TraceId = f.TraceId AND p.SpanId = f.ParentSpanId
SETTINGS join_use_nulls = 0, do_not_merge_across_partitions_select_final = 1, optimize_move_to_prewhere_if_final = 1;

CREATE OR REPLACE VIEW failures AS
SELECT * FROM failures_between(from = toDateTime64(0, 9), to = toDateTime64('2262-04-11 00:00:00', 9, 'UTC'));
