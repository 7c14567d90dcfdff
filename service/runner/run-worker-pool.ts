// Runs execute on worker threads, so the thread that serves the API and schedules runs
// stays responsive however busy the runs are: a start request is answered (and its run
// handed over) without waiting behind other runs' work, and runs use a second core.
// Each job goes to the worker with the fewest runs; a worker that dies fails its runs and
// is replaced. The workers start with the first run: a worker holds a whole executor
// (LangGraph, the provider SDKs), about 150 MB, which a pipeline that only ingests spans
// should not pay for.
import { Worker } from 'node:worker_threads';
import type { LimitMaxima } from '../../executor/index.ts';
import type { RunExecutor, RunJob, RunOutcome } from '../scheduler/run-scheduler.ts';
import type { FromWorker, RunWorkerData, ToWorker } from './messages.ts';
import type { WorkflowRuntimeOptions } from './runtime.ts';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export interface RunWorkerPoolOptions {
  /** Worker threads (at least 1). */
  workers: number;
  runtime: WorkflowRuntimeOptions;
  checkpointDir: string;
  limits: Partial<LimitMaxima>;
}

interface PendingRun {
  resolve(outcome: RunOutcome): void;
  reject(err: Error): void;
}

class RunWorker {
  readonly runs = new Map<string, PendingRun>();
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private readonly thread: Worker;
  private closing = false;

  constructor(
    data: RunWorkerData,
    private readonly onDeath: (worker: RunWorker, reason: string) => void,
  ) {
    const thread = new Worker(ENTRY, { workerData: data });
    this.thread = thread;
    this.ready = new Promise((resolve, reject) => {
      thread.once('error', reject);
      thread.once('message', () => resolve());
    });
    this.exited = new Promise((resolve) => thread.once('exit', () => resolve()));
    thread.on('message', (message: FromWorker) => this.receive(message));
    thread.on('error', (err) => this.die(err.message));
    thread.on('exit', (code) => {
      if (!this.closing) this.die(`exited with code ${code}`);
    });
  }

  post(message: ToWorker): void {
    this.thread.postMessage(message);
  }

  /** Asks the worker to flush its spans and exit. */
  async close(): Promise<void> {
    this.closing = true;
    this.post({ type: 'close' });
    await this.exited;
  }

  private receive(message: FromWorker): void {
    if (message.type !== 'done' && message.type !== 'crashed') return;
    const pending = this.runs.get(message.runId);
    this.runs.delete(message.runId);
    if (message.type === 'done') pending?.resolve(message.outcome);
    else pending?.reject(new Error(message.error));
  }

  private die(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    for (const pending of this.runs.values()) pending.reject(new Error(`the run worker stopped (${reason})`));
    this.runs.clear();
    this.onDeath(this, reason);
  }
}

export class RunWorkerPool {
  private readonly workers: RunWorker[] = [];
  private readonly data: RunWorkerData;
  private started: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: RunWorkerPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`run workers: expected a whole number ≥ 1, got ${options.workers}`);
    this.data = { runtime: options.runtime, checkpointDir: options.checkpointDir, limits: options.limits };
  }

  /** Whether the workers have been started (by the first run). */
  get running(): boolean {
    return this.workers.length > 0;
  }

  readonly execute: RunExecutor = async (job: RunJob) => {
    if (this.closed) throw new Error('the run workers are closed');
    // A start that failed is tried again by the next run.
    await (this.started ??= this.start().catch((err: unknown) => {
      this.started = undefined;
      throw err;
    }));
    const worker = this.workers.reduce((least, w) => (w.runs.size < least.runs.size ? w : least));
    const { runId } = job;
    return new Promise<RunOutcome>((resolve, reject) => {
      worker.runs.set(runId, { resolve, reject });
      worker.post({ type: 'run', run: { runId, spec: job.spec, inputs: job.inputs, resume: job.resume } });
      const cancel = () => worker.post({ type: 'cancel', runId });
      if (job.signal.aborted) cancel();
      else job.signal.addEventListener('abort', cancel, { once: true });
    });
  };

  /** The run is being stopped for shutdown: its cancelled spans are not exported (call before aborting it). */
  interrupt(runId: string): void {
    for (const worker of this.workers) if (worker.runs.has(runId)) worker.post({ type: 'interrupt', runId });
  }

  /** Flushes every worker's spans and ends the workers (after the runs ended). */
  async close(): Promise<void> {
    this.closed = true;
    await this.started?.catch(() => {});
    await Promise.all(this.workers.splice(0).map((worker) => worker.close()));
  }

  /** Starts the workers; resolves once all are ready to run. */
  private async start(): Promise<void> {
    while (this.workers.length < this.options.workers) this.workers.push(this.spawn());
    await Promise.all(this.workers.map((worker) => worker.ready));
  }

  private spawn(): RunWorker {
    return new RunWorker(this.data, (dead, reason) => {
      process.emitWarning(`flowtrace: a run worker stopped (${reason}); starting another`);
      const at = this.workers.indexOf(dead);
      if (at >= 0) this.workers[at] = this.spawn();
    });
  }
}
