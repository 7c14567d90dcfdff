// The run scheduler: accepts runs (durably, before answering), runs at most `concurrency`
// at once, keeps at most `maxQueuedRuns` waiting (beyond: QueueFullError → 429), cancels,
// and survives restarts — accepted runs are recorded in ClickHouse, running ones checkpoint
// after every step, and at start the unfinished ones are queued again (resumed from their
// checkpoint when they have one). Limits and budgets of a run are the executor's business.
import type { WorkflowSpec } from '../../executor/index.ts';
import { FINISHED_STATES, type RunRecord, type RunStateStore } from './run-state-store.ts';

/** What the scheduler hands the executor for one run. */
export interface RunJob {
  runId: string;
  spec: WorkflowSpec;
  inputs: Record<string, unknown>;
  /** Continue from the run's checkpoint instead of starting it. */
  resume: boolean;
  /** Aborted to cancel the run (or to interrupt it at shutdown). */
  signal: AbortSignal;
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'canceled';
  failureReason?: string;
  error?: string;
}

export type RunExecutor = (job: RunJob) => Promise<RunOutcome>;

export interface RunSchedulerDeps {
  states: RunStateStore;
  execute: RunExecutor;
  /** A workflow version's graph (to restart runs after a restart); undefined when it is gone. */
  specOf(projectId: string, workflowId: string, version: number): Promise<WorkflowSpec | undefined>;
  /** Whether the run left a checkpoint to resume from. */
  hasCheckpoint(runId: string): Promise<boolean>;
  /** Called when a run is interrupted by shutdown: it continues at the next start. */
  onInterrupted?(runId: string): void;
  /** Called once a run finished (its checkpoints are no longer needed). */
  onFinished?(runId: string): void;
}

export interface RunSchedulerConfig {
  concurrency: number;
  maxQueuedRuns: number;
  shutdownGraceMs: number;
  rememberedRuns: number;
}

export interface StartRequest {
  projectId: string;
  runId: string;
  workflowId: string;
  version: number;
  spec: WorkflowSpec;
  inputs: Record<string, unknown>;
  idempotencyKey?: string;
  /** Identifies the request, so a retry (same key, same request) is told from a misuse of the key. */
  requestHash: string;
}

/** The queue is full; retry after `retryAfterSeconds`. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(
    readonly retryAfterSeconds: number,
    limit: number,
  ) {
    super(`the run queue is full (${limit} runs waiting); retry after ${retryAfterSeconds} s`);
  }
}

/** The Idempotency-Key was used before for a different request. */
export class IdempotencyKeyReuseError extends Error {
  override name = 'IdempotencyKeyReuseError';
}

/** The run's queued row could not be written, so the run was not accepted (and was stopped). */
export class RunNotRecordedError extends Error {
  override name = 'RunNotRecordedError';
}

/** The scheduler is stopping and accepts no runs. */
export class SchedulerStoppedError extends Error {
  override name = 'SchedulerStoppedError';
}

export type CancelResult = { outcome: 'canceled' | 'cancelling'; run: RunRecord } | { outcome: 'finished'; run: RunRecord } | { outcome: 'unknown' };

/** A run the scheduler holds in memory. */
interface LiveRun {
  record: RunRecord;
  /** Undefined only for a recovered run whose workflow version is gone (it is failed, never dispatched). */
  spec: WorkflowSpec | undefined;
  resume: boolean;
  /** Resolves when the run has finished (or was interrupted at shutdown). */
  ended: Promise<void>;
  markEnded(): void;
  controller?: AbortController;
  cancelRequested: boolean;
  interrupted: boolean;
  settled?: Promise<void>;
}

const key = (projectId: string, id: string) => `${projectId}\0${id}`;

function liveRun(record: RunRecord, spec: WorkflowSpec | undefined, resume: boolean): LiveRun {
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  return { record, spec, resume, ended, markEnded, cancelRequested: false, interrupted: false };
}

/** A run's duration, smoothed over recent runs, to estimate how long the queue takes. */
class DurationEstimate {
  private ms = 1_000;
  add(durationMs: number): void {
    this.ms = 0.9 * this.ms + 0.1 * durationMs;
  }
  get value(): number {
    return this.ms;
  }
}

export class RunScheduler {
  /** Runs accepted and not finished, plus recently finished ones (oldest evicted first). */
  private readonly runs = new Map<string, LiveRun>();
  /** Accepted runs not finished (accepting, queued and running). */
  private active = 0;
  private readonly waiting: LiveRun[] = [];
  private readonly running = new Set<LiveRun>();
  /** Idempotency-Key → the acceptance of the run it created. */
  private readonly byIdempotencyKey = new Map<string, { requestHash: string; accepted: Promise<LiveRun> }>();
  private readonly durations = new DurationEstimate();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly deps: RunSchedulerDeps,
    private readonly config: RunSchedulerConfig,
  ) {}

  /** Queues the runs that were unfinished when the service last stopped; returns how many. */
  async recover(): Promise<number> {
    const unfinished = await this.deps.states.unfinished();
    for (const record of unfinished) {
      const spec = await this.deps.specOf(record.projectId, record.workflowId, record.workflowVersion);
      const run = liveRun(record, spec, await this.deps.hasCheckpoint(record.runId));
      this.remember(run);
      this.active += 1;
      if (record.idempotencyKey !== '') {
        this.byIdempotencyKey.set(key(record.projectId, record.idempotencyKey), { requestHash: record.requestHash, accepted: Promise.resolve(run) });
      }
      if (spec === undefined) {
        this.finish(run, { status: 'failed', failureReason: 'invalid_request', error: `workflow "${record.workflowId}" version ${record.workflowVersion} no longer exists` });
        continue;
      }
      this.waiting.push(run);
    }
    this.pump();
    return unfinished.length;
  }

  /**
   * Accepts a run; resolves once it is durably queued. With an Idempotency-Key, a request
   * that was accepted before (in this process or before a restart) returns that run instead.
   */
  async start(request: StartRequest): Promise<{ run: RunRecord; created: boolean }> {
    if (this.stopping) throw new SchedulerStoppedError('the service is shutting down and accepts no runs');
    if (request.idempotencyKey === undefined) return { run: (await this.accept(request)).record, created: true };
    const claimKey = key(request.projectId, request.idempotencyKey);
    const claim = this.byIdempotencyKey.get(claimKey);
    if (claim) {
      if (claim.requestHash !== request.requestHash) throw this.keyReuse(request.idempotencyKey);
      return { run: (await claim.accepted).record, created: false };
    }
    let created = false;
    const accepted = (async () => {
      const earlier = await this.deps.states.byIdempotencyKey(request.projectId, request.idempotencyKey!);
      if (earlier) return this.runs.get(key(earlier.projectId, earlier.runId)) ?? liveRun(earlier, request.spec, false);
      created = true;
      return this.accept(request);
    })();
    this.byIdempotencyKey.set(claimKey, { requestHash: request.requestHash, accepted });
    try {
      const run = await accepted;
      if (run.record.requestHash !== request.requestHash) {
        this.byIdempotencyKey.set(claimKey, { requestHash: run.record.requestHash, accepted });
        throw this.keyReuse(request.idempotencyKey);
      }
      return { run: run.record, created };
    } catch (err) {
      if (!(err instanceof IdempotencyKeyReuseError) && this.byIdempotencyKey.get(claimKey)?.accepted === accepted) this.byIdempotencyKey.delete(claimKey);
      throw err;
    }
  }

  /** The run's current state: in memory while it is recent, else from storage. */
  async get(projectId: string, runId: string): Promise<RunRecord | undefined> {
    return this.runs.get(key(projectId, runId))?.record ?? (await this.deps.states.get(projectId, runId));
  }

  /** The in-memory state of a recent run (no storage read). */
  peek(projectId: string, runId: string): RunRecord | undefined {
    return this.runs.get(key(projectId, runId))?.record;
  }

  /** A workflow's runs, newest first, each in its current state. */
  async runsOf(projectId: string, workflowId: string, limit: number, before?: { queuedAt: number; runId: string }): Promise<RunRecord[]> {
    const stored = await this.deps.states.forWorkflow(projectId, workflowId, limit, before);
    return stored.map((record) => this.peek(projectId, record.runId) ?? record);
  }

  /** Resolves when the run has finished or `timeoutMs` passed, with its state then. */
  async waitForEnd(projectId: string, runId: string, timeoutMs: number): Promise<RunRecord | undefined> {
    const run = this.runs.get(key(projectId, runId));
    if (run === undefined) return this.deps.states.get(projectId, runId);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return run.record;
  }

  async cancel(projectId: string, runId: string): Promise<CancelResult> {
    const run = this.runs.get(key(projectId, runId));
    if (run === undefined) {
      const stored = await this.deps.states.get(projectId, runId);
      // Unfinished but not in memory cannot happen after recover(); treat it as unknown.
      return stored && FINISHED_STATES.has(stored.status) ? { outcome: 'finished', run: stored } : { outcome: 'unknown' };
    }
    if (FINISHED_STATES.has(run.record.status)) return { outcome: 'finished', run: run.record };
    run.cancelRequested = true;
    const queuedAt = this.waiting.indexOf(run);
    if (queuedAt >= 0) {
      this.waiting.splice(queuedAt, 1);
      this.finish(run, { status: 'canceled', failureReason: 'cancelled', error: 'run cancelled before it started' });
      return { outcome: 'canceled', run: run.record };
    }
    run.controller?.abort();
    return { outcome: 'cancelling', run: run.record };
  }

  /**
   * Stops accepting runs. Running runs get `shutdownGraceMs` to finish; the rest are
   * interrupted — their checkpoints keep the finished steps — and, like the queued ones,
   * continue at the next start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.waiting.length = 0;
      const settled = () => Promise.all([...this.running].map((run) => run.settled));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.shutdownGraceMs)))]);
      clearTimeout(timer);
      for (const run of this.running) {
        run.interrupted = true;
        this.deps.onInterrupted?.(run.record.runId);
        run.controller?.abort();
      }
      await settled();
      await this.deps.states.close();
    })();
    return this.stopping;
  }

  private async accept(request: StartRequest): Promise<LiveRun> {
    if (this.active >= this.config.concurrency + this.config.maxQueuedRuns) {
      const waitingRuns = this.active - this.running.size;
      const seconds = Math.ceil((this.durations.value * (waitingRuns + 1)) / this.config.concurrency / 1000);
      throw new QueueFullError(Math.min(60, Math.max(1, seconds)), this.config.maxQueuedRuns);
    }
    const record: RunRecord = {
      projectId: request.projectId,
      runId: request.runId,
      workflowId: request.workflowId,
      workflowVersion: request.version,
      inputs: request.inputs,
      idempotencyKey: request.idempotencyKey ?? '',
      requestHash: request.requestHash,
      status: 'queued',
      failureReason: '',
      error: '',
      seq: 1,
      queuedAt: Date.now(),
    };
    const run = liveRun(record, request.spec, false);
    this.active += 1;
    this.remember(run);
    // The run starts while its queued row is written; the start request is answered once the row is durable.
    this.waiting.push(run);
    this.pump();
    try {
      await this.deps.states.write(record);
    } catch (err) {
      // Not recorded, so not accepted: stop it before it does more.
      run.cancelRequested = true;
      const waitingAt = this.waiting.indexOf(run);
      if (waitingAt >= 0) {
        this.waiting.splice(waitingAt, 1);
        this.finish(run, { status: 'canceled', failureReason: 'cancelled', error: 'run not recorded' });
      } else {
        run.controller?.abort();
      }
      throw new RunNotRecordedError(`the run could not be recorded: ${(err as Error).message}`);
    }
    return run;
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.config.concurrency && this.waiting.length > 0) {
      this.dispatch(this.waiting.shift()!);
    }
  }

  /** Hands the run to the executor: from now on it is `running` (recorded in storage only when it ends). */
  private dispatch(run: LiveRun): void {
    const controller = new AbortController();
    run.controller = controller;
    run.record = { ...run.record, status: 'running', startedAt: Date.now() };
    this.running.add(run);
    const { record } = run;
    run.settled = this.deps
      .execute({ runId: record.runId, spec: run.spec!, inputs: record.inputs, resume: run.resume, signal: controller.signal })
      .catch((err: unknown): RunOutcome => ({ status: 'failed', failureReason: 'unknown', error: (err as Error).message ?? String(err) }))
      .then((outcome) => {
        this.running.delete(run);
        // Interrupted by shutdown: the run stays unfinished in storage and resumes at the next start.
        if (run.interrupted && outcome.status === 'canceled' && !run.cancelRequested) {
          run.markEnded();
          return;
        }
        this.finish(run, outcome);
        this.pump();
      });
  }

  private finish(run: LiveRun, outcome: RunOutcome): void {
    const finishedAt = Date.now();
    run.record = { ...run.record, status: outcome.status, failureReason: outcome.failureReason ?? '', error: outcome.error ?? '', finishedAt, seq: run.record.seq + 1 };
    this.deps.states.write(run.record).catch((err: Error) => {
      process.emitWarning(`flowtrace: run ${run.record.runId} end (${outcome.status}) not recorded: ${err.message}`);
    });
    this.active -= 1;
    if (run.record.startedAt !== undefined) this.durations.add(finishedAt - run.record.startedAt);
    this.deps.onFinished?.(run.record.runId);
    run.markEnded();
  }

  private remember(run: LiveRun): void {
    const k = key(run.record.projectId, run.record.runId);
    this.runs.delete(k);
    this.runs.set(k, run);
    if (this.runs.size <= this.config.rememberedRuns) return;
    for (const [oldKey, old] of this.runs) {
      if (this.runs.size <= this.config.rememberedRuns) break;
      if (!FINISHED_STATES.has(old.record.status)) continue;
      this.runs.delete(oldKey);
      if (old.record.idempotencyKey !== '') this.byIdempotencyKey.delete(key(old.record.projectId, old.record.idempotencyKey));
    }
  }

  private keyReuse(idempotencyKey: string): IdempotencyKeyReuseError {
    return new IdempotencyKeyReuseError(`Idempotency-Key "${idempotencyKey}" was already used for a different request (another workflow, version or input_vars)`);
  }
}
