// The scheduler's runs in ClickHouse (table workflow_runs, migration 006): every recorded
// state change appends a row; the highest Seq is the run's state. Writes are
// group-committed — the first row waits briefly for company, rows that arrive while an
// insert runs go together in the next one — so hundreds of state changes a second cost a
// few inserts, and each writer learns when its row is durable.
import type { SpanStore } from '../../storage/store.ts';
import { insertRows, selectRows, sqlTime } from '../storage-rows.ts';

export const RUN_STATES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const FINISHED_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'canceled']);

export interface RunRecord {
  projectId: string;
  runId: string;
  workflowId: string;
  workflowVersion: number;
  /** The run's inputs; kept in storage only while the run is unfinished. */
  inputs: Record<string, unknown>;
  /** Empty when the start request had no Idempotency-Key. */
  idempotencyKey: string;
  /** Hash of the start request, to tell a retry from a different request with the same key. */
  requestHash: string;
  status: RunState;
  /** Taxonomy reason of a failed or canceled run (`cancelled`, `rate_limit`, …); empty otherwise. */
  failureReason: string;
  error: string;
  /** State change number; the highest is current. */
  seq: number;
  /** ms since the epoch. */
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

interface RunRow {
  ProjectId: string;
  RunId: string;
  WorkflowId: string;
  WorkflowVersion: number;
  InputsJson: string;
  IdempotencyKey: string;
  RequestHash: string;
  Status: RunState;
  FailureReason: string;
  Error: string;
  Seq: number;
  QueuedAt: string;
  StartedAt: string | null;
  FinishedAt: string | null;
}

const COLUMNS = `ProjectId, RunId, WorkflowId, WorkflowVersion, InputsJson, IdempotencyKey, RequestHash, Status, FailureReason, Error, Seq,
  toString(toUnixTimestamp64Milli(QueuedAt)) AS QueuedAt,
  toString(toUnixTimestamp64Milli(StartedAt)) AS StartedAt,
  toString(toUnixTimestamp64Milli(FinishedAt)) AS FinishedAt`;

function toRow(record: RunRecord): Record<string, unknown> {
  return {
    ProjectId: record.projectId,
    RunId: record.runId,
    WorkflowId: record.workflowId,
    WorkflowVersion: record.workflowVersion,
    InputsJson: FINISHED_STATES.has(record.status) ? '' : JSON.stringify(record.inputs),
    IdempotencyKey: record.idempotencyKey,
    RequestHash: record.requestHash,
    Status: record.status,
    FailureReason: record.failureReason,
    Error: record.error,
    Seq: record.seq,
    QueuedAt: sqlTime(record.queuedAt),
    StartedAt: record.startedAt === undefined ? null : sqlTime(record.startedAt),
    FinishedAt: record.finishedAt === undefined ? null : sqlTime(record.finishedAt),
  };
}

const optionalMs = (value: string | null) => (value === null || value === '' ? undefined : Number(value));

function fromRow(row: RunRow): RunRecord {
  return {
    projectId: row.ProjectId,
    runId: row.RunId,
    workflowId: row.WorkflowId,
    workflowVersion: Number(row.WorkflowVersion),
    inputs: row.InputsJson === '' ? {} : (JSON.parse(row.InputsJson) as Record<string, unknown>),
    idempotencyKey: row.IdempotencyKey,
    requestHash: row.RequestHash,
    status: row.Status,
    failureReason: row.FailureReason,
    error: row.Error,
    seq: Number(row.Seq),
    queuedAt: Number(row.QueuedAt),
    startedAt: optionalMs(row.StartedAt),
    finishedAt: optionalMs(row.FinishedAt),
  };
}

interface PendingRow {
  row: Record<string, unknown>;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class RunStateStoreClosedError extends Error {
  override name = 'RunStateStoreClosedError';
  constructor() {
    super('the run state store is closed');
  }
}

export interface RunStateStoreOptions {
  /** Rows per insert at most. */
  maxBatchRows?: number;
  /**
   * How long the first waiting row waits for company before an idle writer inserts: fewer,
   * larger inserts make fewer parts for ClickHouse to merge.
   */
  maxBatchDelayMs?: number;
  /** Attempts per insert before its writers are told it failed. */
  insertAttempts?: number;
}

type Store = Pick<SpanStore, 'execute'>;

export class RunStateStore {
  private pending: PendingRow[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly maxBatchRows: number;
  private readonly maxBatchDelayMs: number;
  private readonly insertAttempts: number;

  constructor(
    private readonly store: Store,
    options: RunStateStoreOptions = {},
  ) {
    this.maxBatchRows = options.maxBatchRows ?? 1_000;
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? 100;
    this.insertAttempts = options.insertAttempts ?? 3;
  }

  /** Resolves once the record's current state is durable. The record is copied now. */
  write(record: RunRecord): Promise<void> {
    if (this.closed) return Promise.reject(new RunStateStoreClosedError());
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row: toRow(record), resolve, reject });
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    });
  }

  /** Runs whose last state is queued or running, oldest first (all projects). */
  async unfinished(): Promise<RunRecord[]> {
    const rows = await selectRows<RunRow>(
      this.store,
      `SELECT ${COLUMNS} FROM workflow_runs FINAL WHERE Status IN ('queued', 'running') ORDER BY QueuedAt, RunId`,
      {},
    );
    return rows.map(fromRow);
  }

  async get(projectId: string, runId: string): Promise<RunRecord | undefined> {
    const rows = await selectRows<RunRow>(
      this.store,
      `SELECT ${COLUMNS} FROM workflow_runs FINAL WHERE ProjectId = {project:String} AND RunId = {run:String}`,
      { project: projectId, run: runId },
    );
    return rows[0] && fromRow(rows[0]);
  }

  /** The run a start request with this Idempotency-Key created, if any. */
  async byIdempotencyKey(projectId: string, key: string): Promise<RunRecord | undefined> {
    const rows = await selectRows<RunRow>(
      this.store,
      `SELECT ${COLUMNS} FROM workflow_runs FINAL WHERE ProjectId = {project:String} AND IdempotencyKey = {key:String} ORDER BY QueuedAt LIMIT 1`,
      { project: projectId, key },
    );
    return rows[0] && fromRow(rows[0]);
  }

  /** A workflow's runs, newest first; `before` continues after the last run of a page. */
  async forWorkflow(projectId: string, workflowId: string, limit: number, before?: { queuedAt: number; runId: string }): Promise<RunRecord[]> {
    const params: Record<string, string> = { project: projectId, workflow: workflowId, limit: String(limit) };
    let position = '';
    if (before) {
      position = 'AND (toUnixTimestamp64Milli(QueuedAt), RunId) < ({beforeQueued:Int64}, {beforeRun:String})';
      params.beforeQueued = String(before.queuedAt);
      params.beforeRun = before.runId;
    }
    const rows = await selectRows<RunRow>(
      this.store,
      `SELECT ${COLUMNS} FROM workflow_runs FINAL
       WHERE ProjectId = {project:String} AND WorkflowId = {workflow:String} ${position}
       ORDER BY QueuedAt DESC, RunId DESC LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map(fromRow);
  }

  /** Commits what is pending, then refuses further writes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
  }

  private async drain(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.closed ? 0 : this.maxBatchDelayMs));
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatchRows);
      try {
        await this.insertWithRetry(batch.map((p) => p.row));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    }
  }

  private async insertWithRetry(rows: Record<string, unknown>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await insertRows(this.store, 'workflow_runs', rows);
        return;
      } catch (err) {
        if (attempt >= this.insertAttempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * 4 ** (attempt - 1)));
      }
    }
  }
}
