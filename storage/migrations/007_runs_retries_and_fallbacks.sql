-- Run totals count a fallback once: `Retries` were attempts after the first that stayed on
-- their target, `Fallbacks` the switches to another target (before, every attempt on a
-- fallback target counted as both a retry and a fallback). `UnpricedCalls` counts calls whose
-- model has no known price, no longer failed attempts that reported no usage.
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
SETTINGS prefer_column_name_to_alias = 1;
