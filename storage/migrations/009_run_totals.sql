-- run_totals: one row per run, kept by a materialized view as spans are inserted, with what
-- finding runs needs (start and end, run span status, workflow, the services, models and
-- failure classes among its spans) and its totals. Read it with GROUP BY ProjectId, RunId:
-- parts are combined in the background.
--  * Finding runs (the runs list, runs_started_between) orders and filters twenty thousand
--    rows instead of aggregating every span. The columns it uses are aggregates a span stored
--    twice cannot change (min, max, a set) — except CostUsd, which such a repeat can only
--    raise: an upper bound there.
--  * Totals: SpanRows counts spans as inserted, Spans the distinct (trace, span) pairs by
--    their 64-bit hash (a repeated span always hashes the same, so a repeat is never missed;
--    a collision only sends a run to the slow path). runs_from_totals gives the `runs` view's
--    columns for the runs whose spans were each stored once, with one trace and at most one
--    run span — then every total equals the view's; readers take any other run from `runs`.
CREATE TABLE IF NOT EXISTS run_totals (
    ProjectId LowCardinality(String),
    RunId String,
    StartTime SimpleAggregateFunction(min, DateTime64(9)),
    EndTime SimpleAggregateFunction(max, DateTime64(9)),
    -- Of the run spans, by the `runs` view's rule (canceled, failed, succeeded); empty while the run span has not arrived.
    RunStatuses SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    WorkflowIds SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    WorkflowNames SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    Services SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    -- Requested and responding models of inference spans.
    Models SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    FailureClasses SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    SpanRows SimpleAggregateFunction(sum, UInt64),
    Spans AggregateFunction(uniqExact, UInt64),
    TraceIds SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    RunSpans SimpleAggregateFunction(sum, UInt64),
    -- Of the run span; empty without one.
    RunName SimpleAggregateFunction(max, String),
    WorkflowVersion SimpleAggregateFunction(max, String),
    ServiceName SimpleAggregateFunction(max, String),
    FailureClass SimpleAggregateFunction(max, String),
    FailureReason SimpleAggregateFunction(max, String),
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
-- Small granules: a lookup of a few runs does not decompress thousands of runs' span sets.
SETTINGS index_granularity = 256, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_totals_mv TO run_totals AS
SELECT ProjectId, RunId,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       groupUniqArrayIf(multiIf(FailureReason = 'cancelled', 'canceled', StatusCode = 'Error', 'failed', 'succeeded'), Role = 'run') AS RunStatuses,
       groupUniqArrayIf(WorkflowId, Role = 'run') AS WorkflowIds,
       groupUniqArrayIf(WorkflowName, Role = 'run') AS WorkflowNames,
       groupUniqArray(ServiceName) AS Services,
       groupUniqArrayArrayIf(arrayFilter(m -> m != '', [RequestModel, ResponseModel]), IsInference = 1) AS Models,
       groupUniqArrayIf(FailureClass, FailureClass != '') AS FailureClasses,
       count() AS SpanRows,
       uniqExactState(cityHash64(TraceId, SpanId)) AS Spans,
       groupUniqArray(TraceId) AS TraceIds,
       countIf(Role = 'run') AS RunSpans,
       max(if(Role = 'run', SpanName, '')) AS RunName,
       max(if(Role = 'run', WorkflowVersion, '')) AS WorkflowVersion,
       max(if(Role = 'run', ServiceName, '')) AS ServiceName,
       max(if(Role = 'run', FailureClass, '')) AS FailureClass,
       max(if(Role = 'run', FailureReason, '')) AS FailureReason,
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

-- The spans stored before the view existed (the view's query).
INSERT INTO run_totals
SELECT ProjectId, RunId,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       groupUniqArrayIf(multiIf(FailureReason = 'cancelled', 'canceled', StatusCode = 'Error', 'failed', 'succeeded'), Role = 'run') AS RunStatuses,
       groupUniqArrayIf(WorkflowId, Role = 'run') AS WorkflowIds,
       groupUniqArrayIf(WorkflowName, Role = 'run') AS WorkflowNames,
       groupUniqArray(ServiceName) AS Services,
       groupUniqArrayArrayIf(arrayFilter(m -> m != '', [RequestModel, ResponseModel]), IsInference = 1) AS Models,
       groupUniqArrayIf(FailureClass, FailureClass != '') AS FailureClasses,
       count() AS SpanRows,
       uniqExactState(cityHash64(TraceId, SpanId)) AS Spans,
       groupUniqArray(TraceId) AS TraceIds,
       countIf(Role = 'run') AS RunSpans,
       max(if(Role = 'run', SpanName, '')) AS RunName,
       max(if(Role = 'run', WorkflowVersion, '')) AS WorkflowVersion,
       max(if(Role = 'run', ServiceName, '')) AS ServiceName,
       max(if(Role = 'run', FailureClass, '')) AS FailureClass,
       max(if(Role = 'run', FailureReason, '')) AS FailureReason,
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
