-- User-facing typed views. Documented with example queries in the README.

-- One row per inference attempt, plus one per step answered from the exact-match cache.
CREATE VIEW IF NOT EXISTS llm_calls AS
SELECT ProjectId, Timestamp, EndTime, DurationNs, DurationNs / 1e6 AS LatencyMs,
       TraceId, SpanId, ParentSpanId, RunId, StepId, NodeId, WorkflowId, SemanticLabel, ServiceName,
       Operation, Provider, RequestModel, ResponseModel, Dialect,
       InputTokens, OutputTokens, CacheReadTokens, CacheWriteTokens, ReasoningTokens,
       CostUsd, CostStatus, CostReason, PriceRef, SavedCostUsd,
       Attempt, FallbackFrom, CacheHit, StatusCode, ErrorType, FailureClass, FailureReason
FROM span_facts FINAL
WHERE IsInference = 1 OR CacheHit = 1;

-- One row per step (node execution) of a FlowTrace run.
CREATE VIEW IF NOT EXISTS steps AS
SELECT s.ProjectId AS ProjectId, s.RunId AS RunId, s.StepId AS StepId, s.NodeId AS NodeId, s.NodeType AS NodeType,
       s.SemanticLabel AS SemanticLabel, s.RouterBranch AS RouterBranch, s.Timestamp AS Timestamp, s.EndTime AS EndTime,
       s.DurationNs / 1e6 AS LatencyMs, s.StatusCode AS StatusCode, s.CacheHit AS CacheHit,
       s.FailureClass AS FailureClass, s.FailureReason AS FailureReason, s.TraceId AS TraceId, s.SpanId AS SpanId
FROM span_facts AS s FINAL
WHERE s.Role = 'step';

-- One row per failed span. Outcome: `recovered` when the enclosing span (a step around a
-- failed attempt, a run around a failed step) succeeded, `terminal` when it failed or the
-- failed span is a root, `pending` while the enclosing span has not arrived yet.
CREATE VIEW IF NOT EXISTS failures AS
SELECT f.ProjectId AS ProjectId, f.Timestamp AS Timestamp, f.TraceId AS TraceId, f.SpanId AS SpanId,
       f.ParentSpanId AS ParentSpanId, f.RunId AS RunId, f.StepId AS StepId, f.NodeId AS NodeId,
       f.ServiceName AS ServiceName, f.SpanName AS SpanName, f.Role AS Role,
       f.Provider AS Provider, f.RequestModel AS RequestModel, f.Attempt AS Attempt,
       f.FailureClass AS FailureClass, f.FailureReason AS FailureReason, f.FailureEvidence AS Evidence,
       f.ErrorType AS ErrorType, f.StatusMessage AS StatusMessage,
       multiIf(f.ParentSpanId = '', 'terminal', p.SpanId = '', 'pending', p.StatusCode = 'Error', 'terminal', 'recovered') AS Outcome,
       Outcome = 'recovered' AS Recovered
FROM (SELECT * FROM span_facts FINAL WHERE FailureClass != '') AS f
LEFT JOIN (
    SELECT ProjectId, TraceId, SpanId, StatusCode FROM span_facts FINAL
    WHERE (TraceId, SpanId) IN (SELECT TraceId, ParentSpanId FROM span_facts WHERE FailureClass != '')
) AS p ON p.ProjectId = f.ProjectId AND p.TraceId = f.TraceId AND p.SpanId = f.ParentSpanId
SETTINGS join_use_nulls = 0;

-- One row per run: a FlowTrace workflow run (flowtrace.run.id), or a trace from any other
-- producer. Totals add inference spans only, so agent/workflow spans that repeat their
-- children's usage are never counted twice.
CREATE VIEW IF NOT EXISTS runs AS
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
       countIf(IsInference = 1 AND Attempt > 1) AS Retries,
       countIf(FallbackFrom != '') AS Fallbacks,
       countIf(CacheHit = 1 AND Role = 'step') AS CacheHits,
       countIf(StatusCode = 'Error') AS ErrorSpans,
       sumIf(InputTokens, IsInference = 1) AS InputTokens,
       sumIf(OutputTokens, IsInference = 1) AS OutputTokens,
       sumIf(CacheReadTokens, IsInference = 1) AS CacheReadTokens,
       sumIf(CacheWriteTokens, IsInference = 1) AS CacheWriteTokens,
       sumIf(ReasoningTokens, IsInference = 1) AS ReasoningTokens,
       sumIf(InputTokens + OutputTokens, IsInference = 1) AS TotalTokens,
       sumIf(CostUsd, IsInference = 1) AS CostUsd,
       countIf(IsInference = 1 AND CostUsd IS NULL) AS UnpricedCalls,
       sum(SavedCostUsd) AS SavedCostUsd
FROM span_facts FINAL
GROUP BY ProjectId, RunId
-- Aggregates are named like the columns they sum; resolve names to columns, not aliases.
SETTINGS prefer_column_name_to_alias = 1;
