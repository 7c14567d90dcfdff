// What the service runs workflows with: the executor's llm runner (providers from the
// environment, the exact-match response cache), telemetry whose spans go to OTLP (the
// embedded receiver in `flowtrace up`), and the tools tool nodes may use. The executor
// adapter turns a scheduler job into a runWorkflow call.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  FileCheckpointSaver,
  FileResponseCache,
  RunIdError,
  RunInputError,
  WorkflowValidationError,
  createLlmStepRunner,
  createProviders,
  createTelemetry,
  runWorkflow,
  type HttpGetConfigInput,
  type LimitMaxima,
  type LlmStepRunner,
  type ToolFunction,
} from '../executor/index.ts';
import { tools as demoTools } from '../executor/demos/csv-stats.ts';
import type { ProvidersConfig } from '../executor/providers/index.ts';
import { exportDisabled, tracesUrl } from '../executor/telemetry/config.ts';
import type { Telemetry } from '../executor/telemetry/index.ts';
import { InterruptedRunSpanFilter } from './scheduler/interrupted-span-filter.ts';
import type { RunExecutor } from './scheduler/run-scheduler.ts';

export interface WorkflowRuntime {
  runner: LlmStepRunner;
  telemetry: Telemetry;
  /** Tools for tool nodes besides the built-ins (the demo workflows' csv_stats is always there). */
  tools: Record<string, ToolFunction>;
  /** Settings of the built-in http_get tool (allow-list, timeout, size cap). */
  http?: HttpGetConfigInput;
  /** Told about runs interrupted at shutdown, so their cancelled spans are not exported. */
  spanFilter?: InterruptedRunSpanFilter;
}

export interface WorkflowRuntimeOptions {
  /** OTLP/HTTP base endpoint for spans (`/v1/traces` is appended); default OTEL_EXPORTER_OTLP_* or http://127.0.0.1:4318. */
  otlpEndpoint?: string;
  /** Exact-match response cache directory; none: no cache. */
  cacheDir?: string;
  providers?: ProvidersConfig;
  tools?: Record<string, ToolFunction>;
  http?: HttpGetConfigInput;
  captureContent?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The runtime of a FlowTrace process; call `telemetry.shutdown()` when the process stops. */
export function createWorkflowRuntime(options: WorkflowRuntimeOptions = {}): WorkflowRuntime {
  const env = options.env ?? process.env;
  const spanFilter = exportDisabled(env) ? undefined : new InterruptedRunSpanFilter(new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint, env) }));
  const telemetry = createTelemetry({ exporter: spanFilter, captureContent: options.captureContent });
  const runner = createLlmStepRunner({
    providers: createProviders(options.providers ?? {}, env),
    cache: options.cacheDir === undefined ? undefined : new FileResponseCache({ dir: options.cacheDir }),
    telemetry,
  });
  return { runner, telemetry, tools: { ...demoTools, ...options.tools }, http: options.http, spanFilter };
}

/** Errors that mean the run could not start with what it was given. */
const START_ERRORS = [WorkflowValidationError, RunInputError, RunIdError];

/** Runs scheduler jobs with the executor: checkpoints under `checkpointDir`, limits capped by `limits`. */
export function createRunExecutor(runtime: WorkflowRuntime, options: { checkpointDir: string; limits: Partial<LimitMaxima> }): RunExecutor {
  return async (job) => {
    try {
      const summary = await runWorkflow(job.spec, {
        inputs: job.inputs,
        runId: job.runId,
        resume: job.resume,
        signal: job.signal,
        runner: runtime.runner,
        tools: runtime.tools,
        http: runtime.http,
        telemetry: runtime.telemetry,
        limits: options.limits,
        checkpointDir: options.checkpointDir,
      });
      return { status: summary.status, failureReason: summary.failureReason, error: summary.error };
    } catch (err) {
      if (START_ERRORS.some((type) => err instanceof type)) return { status: 'failed', failureReason: 'invalid_request', error: (err as Error).message };
      throw err;
    }
  };
}

/** Checkpoint housekeeping for the scheduler: whether a run can resume, and removal once it finished. */
export function checkpointsIn(dir: string): { has(runId: string): Promise<boolean>; remove(runId: string): void } {
  const saver = new FileCheckpointSaver(dir);
  const finished: string[] = [];
  let sweeping = false;
  // One directory at a time in the background: a burst of removals would hold the thread
  // pool that running runs need for their own checkpoint writes.
  const sweep = async () => {
    sweeping = true;
    for (let runId = finished.shift(); runId !== undefined; runId = finished.shift()) {
      try {
        await removeThread(saver, runId);
      } catch (err) {
        process.emitWarning(`flowtrace: checkpoints of run ${runId} not removed: ${(err as Error).message}`);
      }
    }
    sweeping = false;
  };
  return {
    has: async (runId) => (await saver.getTuple({ configurable: { thread_id: runId, checkpoint_ns: '' } })) !== undefined,
    remove: (runId) => {
      finished.push(runId);
      if (!sweeping) void sweep();
    },
  };
}

/** A cancelled run's last pending-write file may still be landing: try again briefly. */
async function removeThread(saver: FileCheckpointSaver, runId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await saver.deleteThread(runId);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
