-- run_totals: each run's totals, kept by a materialized view as spans are inserted, so the
-- read API sums a page of runs from one row each instead of reading all their spans with
-- FINAL. The table can tell when that is exact: SpanRows counts spans as inserted, Spans
-- the distinct (trace, span) pairs by their 64-bit hash — a repeated span always hashes the
-- same, so a repeat is never missed (a collision only sends a run to the slow path).
-- runs_from_totals gives the `runs` view's columns for the runs whose spans were each stored
-- once, with one trace and at most one run span — then every total equals the view's;
-- readers take any other run from `runs`.
CREATE TABLE IF NOT EXISTS run_totals (
    ProjectId LowCardinality(String),
    RunId String,
    SpanRows SimpleAggregateFunction(sum, UInt64),
    Spans AggregateFunction(uniqExact, UInt64),
    TraceIds SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    RunSpans SimpleAggregateFunction(sum, UInt64),
    -- Of the run span; empty without one.
    RunName SimpleAggregateFunction(max, String),
    WorkflowId SimpleAggregateFunction(max, String),
    WorkflowVersion SimpleAggregateFunction(max, String),
    WorkflowName SimpleAggregateFunction(max, String),
    ServiceName SimpleAggregateFunction(max, String),
    RunStatusCode SimpleAggregateFunction(max, String),
    FailureClass SimpleAggregateFunction(max, String),
    FailureReason SimpleAggregateFunction(max, String),
    StartTime SimpleAggregateFunction(min, DateTime64(9)),
    EndTime SimpleAggregateFunction(max, DateTime64(9)),
    Steps SimpleAggregateFunction(sum, UInt64),
    LlmCalls SimpleAggregateFunction(sum, UInt64),
    ToolCalls SimpleAggregateFunction(sum, UInt64),
    LaterAttempts SimpleAggregateFunction(sum, UInt64),
    -- (step, fallback target) pairs: one per switch to a fallback target.
    FallbackSwitches SimpleAggregateFunction(groupUniqArrayArray, Array(Tuple(String, String))),
    CacheHits SimpleAggregateFunction(sum, UInt64),
    ErrorSpans SimpleAggregateFunction(sum, UInt64),
    InputTokens SimpleAggregateFunction(sum, UInt64),
    OutputTokens SimpleAggregateFunction(sum, UInt64),
    CacheReadTokens SimpleAggregateFunction(sum, UInt64),
    CacheWriteTokens SimpleAggregateFunction(sum, UInt64),
    ReasoningTokens SimpleAggregateFunction(sum, UInt64),
    -- Cost and savings as the sum of the known values and how many there were (none: NULL).
    PricedCalls SimpleAggregateFunction(sum, UInt64),
    CostUsd SimpleAggregateFunction(sum, Decimal(38, 12)),
    UnpricedCalls SimpleAggregateFunction(sum, UInt64),
    Savings SimpleAggregateFunction(sum, UInt64),
    SavedCostUsd SimpleAggregateFunction(sum, Decimal(38, 12))
) ENGINE = AggregatingMergeTree
ORDER BY (ProjectId, RunId)
-- Read a few runs at a time: small granules, so a lookup does not decompress thousands of runs' sets.
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_totals_mv TO run_totals AS
SELECT ProjectId, RunId,
       count() AS SpanRows,
       uniqExactState(cityHash64(TraceId, SpanId)) AS Spans,
       groupUniqArray(TraceId) AS TraceIds,
       countIf(Role = 'run') AS RunSpans,
       max(if(Role = 'run', SpanName, '')) AS RunName,
       max(if(Role = 'run', WorkflowId, '')) AS WorkflowId,
       max(if(Role = 'run', WorkflowVersion, '')) AS WorkflowVersion,
       max(if(Role = 'run', WorkflowName, '')) AS WorkflowName,
       max(if(Role = 'run', ServiceName, '')) AS ServiceName,
       max(if(Role = 'run', StatusCode, '')) AS RunStatusCode,
       max(if(Role = 'run', FailureClass, '')) AS FailureClass,
       max(if(Role = 'run', FailureReason, '')) AS FailureReason,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       countIf(Role = 'step') AS Steps,
       countIf(IsInference = 1) AS LlmCalls,
       countIf(Role = 'tool') AS ToolCalls,
       countIf(IsInference = 1 AND Attempt > 1) AS LaterAttempts,
       groupUniqArrayIf((StepId, toString(FallbackFrom)), IsInference = 1 AND FallbackFrom != '') AS FallbackSwitches,
       countIf(CacheHit = 1 AND Role = 'step') AS CacheHits,
       countIf(StatusCode = 'Error') AS ErrorSpans,
       sumIf(InputTokens, IsInference = 1) AS InputTokens,
       sumIf(OutputTokens, IsInference = 1) AS OutputTokens,
       sumIf(CacheReadTokens, IsInference = 1) AS CacheReadTokens,
       sumIf(CacheWriteTokens, IsInference = 1) AS CacheWriteTokens,
       sumIf(ReasoningTokens, IsInference = 1) AS ReasoningTokens,
       countIf(IsInference = 1 AND CostUsd IS NOT NULL) AS PricedCalls,
       sumIf(ifNull(CostUsd, 0), IsInference = 1) AS CostUsd,
       countIf(IsInference = 1 AND CostStatus = 'unknown_model') AS UnpricedCalls,
       countIf(SavedCostUsd IS NOT NULL) AS Savings,
       sum(ifNull(SavedCostUsd, 0)) AS SavedCostUsd
FROM span_facts
GROUP BY ProjectId, RunId
-- Aggregates are named like the columns they sum; resolve names to columns, not aliases.
SETTINGS prefer_column_name_to_alias = 1;

-- The spans stored before the view existed (the same query as the view's).
INSERT INTO run_totals
SELECT ProjectId, RunId,
       count() AS SpanRows,
       uniqExactState(cityHash64(TraceId, SpanId)) AS Spans,
       groupUniqArray(TraceId) AS TraceIds,
       countIf(Role = 'run') AS RunSpans,
       max(if(Role = 'run', SpanName, '')) AS RunName,
       max(if(Role = 'run', WorkflowId, '')) AS WorkflowId,
       max(if(Role = 'run', WorkflowVersion, '')) AS WorkflowVersion,
       max(if(Role = 'run', WorkflowName, '')) AS WorkflowName,
       max(if(Role = 'run', ServiceName, '')) AS ServiceName,
       max(if(Role = 'run', StatusCode, '')) AS RunStatusCode,
       max(if(Role = 'run', FailureClass, '')) AS FailureClass,
       max(if(Role = 'run', FailureReason, '')) AS FailureReason,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       countIf(Role = 'step') AS Steps,
       countIf(IsInference = 1) AS LlmCalls,
       countIf(Role = 'tool') AS ToolCalls,
       countIf(IsInference = 1 AND Attempt > 1) AS LaterAttempts,
       groupUniqArrayIf((StepId, toString(FallbackFrom)), IsInference = 1 AND FallbackFrom != '') AS FallbackSwitches,
       countIf(CacheHit = 1 AND Role = 'step') AS CacheHits,
       countIf(StatusCode = 'Error') AS ErrorSpans,
       sumIf(InputTokens, IsInference = 1) AS InputTokens,
       sumIf(OutputTokens, IsInference = 1) AS OutputTokens,
       sumIf(CacheReadTokens, IsInference = 1) AS CacheReadTokens,
       sumIf(CacheWriteTokens, IsInference = 1) AS CacheWriteTokens,
       sumIf(ReasoningTokens, IsInference = 1) AS ReasoningTokens,
       countIf(IsInference = 1 AND CostUsd IS NOT NULL) AS PricedCalls,
       sumIf(ifNull(CostUsd, 0), IsInference = 1) AS CostUsd,
       countIf(IsInference = 1 AND CostStatus = 'unknown_model') AS UnpricedCalls,
       countIf(SavedCostUsd IS NOT NULL) AS Savings,
       sum(ifNull(SavedCostUsd, 0)) AS SavedCostUsd
FROM span_facts
GROUP BY ProjectId, RunId
SETTINGS prefer_column_name_to_alias = 1;

-- The `runs` view's columns from run_totals, for the runs where they are exact.
CREATE OR REPLACE VIEW runs_from_totals AS
SELECT ProjectId, RunId,
       groupUniqArrayArray(TraceIds)[1] AS TraceId,
       max(RunName) AS RunName,
       max(WorkflowId) AS WorkflowId,
       max(WorkflowVersion) AS WorkflowVersion,
       max(WorkflowName) AS WorkflowName,
       max(ServiceName) AS ServiceName,
       multiIf(sum(RunSpans) = 0, 'running', max(FailureReason) = 'cancelled', 'canceled',
               max(RunStatusCode) = 'Error', 'failed', 'succeeded') AS Status,
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
SETTINGS prefer_column_name_to_alias = 1;
