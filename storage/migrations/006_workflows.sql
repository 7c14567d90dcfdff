-- The workflow service (service/): workflows with their versions, and the runs it scheduled.

-- Workflows, append-only: every write adds a row and nothing is changed in place. Creating a
-- workflow adds version 1, each update the next version; deleting adds a tombstone row
-- (Deleted = 1, Version = the last version) so every version stays readable for its runs.
CREATE TABLE IF NOT EXISTS workflow_versions (
    ProjectId LowCardinality(String),
    WorkflowId String,
    Version UInt32,
    Deleted UInt8,
    Name String,
    Description String,
    GraphJson String,
    CreatedAt DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (ProjectId, WorkflowId, Version, Deleted);

-- Runs the service accepted: one row per state change (queued → running → succeeded |
-- failed | canceled); the row with the highest Seq is the run's state (read with FINAL). A
-- run that is queued or running when the service stops is found here at the next start and
-- resumed. Inputs are kept only while the run is unfinished: the final row carries none.
CREATE TABLE IF NOT EXISTS workflow_runs (
    ProjectId LowCardinality(String),
    RunId String,
    WorkflowId String,
    WorkflowVersion UInt32,
    InputsJson String,
    IdempotencyKey String,
    RequestHash String,
    Status LowCardinality(String),
    FailureReason LowCardinality(String),
    Error String,
    Seq UInt32,
    QueuedAt DateTime64(3, 'UTC'),
    StartedAt Nullable(DateTime64(3, 'UTC')),
    FinishedAt Nullable(DateTime64(3, 'UTC')),
    INDEX idx_idempotency_key IdempotencyKey TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_workflow WorkflowId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(Seq)
ORDER BY (ProjectId, RunId);
