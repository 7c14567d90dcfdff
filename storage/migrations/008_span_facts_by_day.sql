-- span_facts partitioned by day instead of by month, like otel_traces. A time range then
-- reads only its days: duplicates of a span share its Timestamp, hence its partition, so the
-- views can collapse duplicates partition by partition (do_not_merge_across_partitions_select_final)
-- and skip the days outside a query's range before FINAL instead of merging the whole table.
-- The table is rebuilt: the rows are copied into a new table that then takes the old one's
-- place. Writers must be stopped while this runs (flowtrace applies migrations before it
-- starts ingesting). Every step can be repeated after an interruption: the first statement
-- drops whatever a previous attempt left behind under the temporary name.
DROP TABLE IF EXISTS span_facts_by_day;
CREATE TABLE span_facts_by_day (
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
PARTITION BY toDate(Timestamp)
ORDER BY (ProjectId, RunId, TraceId, SpanId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;
INSERT INTO span_facts_by_day SELECT * FROM span_facts;
EXCHANGE TABLES span_facts AND span_facts_by_day;
DROP TABLE span_facts_by_day;
