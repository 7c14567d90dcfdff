-- One row per span with everything the processors derived from it (dialect-normalised
-- GenAI facts, run context, cost, failure class). The user-facing tables llm_calls,
-- steps, failures and runs are views over it, so they are always consistent with each
-- other and exact under redelivery (FINAL collapses any duplicate that slipped past the
-- insert deduplication token).
CREATE TABLE IF NOT EXISTS span_facts (
    ProjectId LowCardinality(String),
    Timestamp DateTime64(9),
    EndTime DateTime64(9),
    DurationNs UInt64,
    TraceId String,
    SpanId String,
    ParentSpanId String,
    SpanName LowCardinality(String),
    ServiceName LowCardinality(String),
    Role LowCardinality(String),            -- run | step | llm | tool | other
    RunId String,
    StepId String,
    NodeId String,
    NodeType LowCardinality(String),
    WorkflowId String,
    WorkflowVersion String,
    WorkflowName String,
    SemanticLabel LowCardinality(String),
    RouterBranch String,
    Operation LowCardinality(String),
    Provider LowCardinality(String),
    RequestModel LowCardinality(String),
    ResponseModel LowCardinality(String),
    Dialect LowCardinality(String),
    IsInference UInt8,
    InputTokens UInt64,
    OutputTokens UInt64,
    CacheReadTokens UInt64,
    CacheWriteTokens UInt64,
    ReasoningTokens UInt64,
    CostUsd Nullable(Decimal(38, 12)),
    CostStatus LowCardinality(String),
    CostReason String,
    PriceRef String,
    SavedCostUsd Nullable(Decimal(38, 12)),
    Attempt UInt16,
    FallbackFrom LowCardinality(String),
    CacheHit UInt8,
    StatusCode LowCardinality(String),
    StatusMessage String,
    ErrorType String,
    FailureClass LowCardinality(String),
    FailureReason LowCardinality(String),
    FailureEvidence String,
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_ts Timestamp TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(Timestamp)
ORDER BY (ProjectId, RunId, TraceId, SpanId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;
