-- run_index: one row per run with what finding runs needs — when it started and ended, the
-- status of its run span, its workflow, the services, models and failure classes among its
-- spans — so the runs list orders and filters twenty thousand rows instead of aggregating
-- every span. A materialized view keeps it as spans are inserted (read it with GROUP BY
-- ProjectId, RunId: parts are combined in the background).
-- Every column is an aggregate that a span stored twice cannot change (min, max, a set),
-- except CostUpperBound, which such a duplicate can only raise: queries use it to rule
-- runs out and take exact totals from the `runs` view.
CREATE TABLE IF NOT EXISTS run_index (
    ProjectId LowCardinality(String),
    RunId String,
    StartTime SimpleAggregateFunction(min, DateTime64(9)),
    EndTime SimpleAggregateFunction(max, DateTime64(9)),
    -- Of the run spans, by the `runs` view's rule; empty while the run span has not arrived.
    RunStatuses SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    WorkflowIds SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    WorkflowNames SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    Services SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    -- Requested and responding models of inference spans.
    Models SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    FailureClasses SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    CostUpperBound SimpleAggregateFunction(sum, Decimal(38, 12))
) ENGINE = AggregatingMergeTree
ORDER BY (ProjectId, RunId)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_index_mv TO run_index AS
SELECT ProjectId, RunId,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       groupUniqArrayIf(multiIf(FailureReason = 'cancelled', 'canceled', StatusCode = 'Error', 'failed', 'succeeded'), Role = 'run') AS RunStatuses,
       groupUniqArrayIf(WorkflowId, Role = 'run') AS WorkflowIds,
       groupUniqArrayIf(WorkflowName, Role = 'run') AS WorkflowNames,
       groupUniqArray(ServiceName) AS Services,
       groupUniqArrayArrayIf(arrayFilter(m -> m != '', [RequestModel, ResponseModel]), IsInference = 1) AS Models,
       groupUniqArrayIf(FailureClass, FailureClass != '') AS FailureClasses,
       sumIf(ifNull(CostUsd, 0), IsInference = 1) AS CostUpperBound
FROM span_facts
GROUP BY ProjectId, RunId;

-- The spans stored before the view existed (the same query as the view's).
INSERT INTO run_index
SELECT ProjectId, RunId,
       min(Timestamp) AS StartTime,
       max(EndTime) AS EndTime,
       groupUniqArrayIf(multiIf(FailureReason = 'cancelled', 'canceled', StatusCode = 'Error', 'failed', 'succeeded'), Role = 'run') AS RunStatuses,
       groupUniqArrayIf(WorkflowId, Role = 'run') AS WorkflowIds,
       groupUniqArrayIf(WorkflowName, Role = 'run') AS WorkflowNames,
       groupUniqArray(ServiceName) AS Services,
       groupUniqArrayArrayIf(arrayFilter(m -> m != '', [RequestModel, ResponseModel]), IsInference = 1) AS Models,
       groupUniqArrayIf(FailureClass, FailureClass != '') AS FailureClasses,
       sumIf(ifNull(CostUsd, 0), IsInference = 1) AS CostUpperBound
FROM span_facts
GROUP BY ProjectId, RunId;
