// What the scheduler's thread and a run worker say to each other (structured-clone data only).
import type { LimitMaxima, WorkflowSpec } from '../../executor/index.ts';
import type { RunOutcome } from '../scheduler/run-scheduler.ts';
import type { WorkflowRuntimeOptions } from './runtime.ts';

/** A worker's configuration (its workerData). */
export interface RunWorkerData {
  runtime: WorkflowRuntimeOptions;
  checkpointDir: string;
  limits: Partial<LimitMaxima>;
}

export interface RunOrder {
  runId: string;
  spec: WorkflowSpec;
  inputs: Record<string, unknown>;
  resume: boolean;
}

export type ToWorker =
  | { type: 'run'; run: RunOrder }
  /** Abort the run: it ends `canceled`. */
  | { type: 'cancel'; runId: string }
  /** Abort the run for shutdown: its cancelled spans are not exported (it resumes at the next start). */
  | { type: 'interrupt'; runId: string }
  /** Flush spans and exit. */
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; runId: string; outcome: RunOutcome }
  | { type: 'crashed'; runId: string; error: string }
  | { type: 'closed' };
