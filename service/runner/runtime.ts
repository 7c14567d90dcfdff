// What runs execute with, inside a run worker: the executor's llm runner (providers from
// the environment, the exact-match response cache), telemetry whose spans go to OTLP (the
// embedded receiver in `flowtrace up`) through the interrupted-run filter, and the tools
// tool nodes may use. The executor adapter turns a run order into a runWorkflow call.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
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
} from '../../executor/index.ts';
import { tools as demoTools } from '../../executor/demos/csv-stats.ts';
import type { ProvidersConfig } from '../../executor/providers/index.ts';
import { exportDisabled, tracesUrl } from '../../executor/telemetry/config.ts';
import type { Telemetry } from '../../executor/telemetry/index.ts';
import type { RunOutcome } from '../scheduler/run-scheduler.ts';
import { InterruptedRunSpanFilter } from './interrupted-span-filter.ts';
import type { RunOrder } from './messages.ts';

/** Tools of the service's workflows besides the built-ins: the demo workflows' csv_stats. */
export const SERVICE_TOOLS: Record<string, ToolFunction> = demoTools;

/** How runs execute; plain data, so it can be handed to run workers. */
export interface WorkflowRuntimeOptions {
  /** OTLP/HTTP base endpoint for spans (`/v1/traces` is appended); default OTEL_EXPORTER_OTLP_* or http://127.0.0.1:4318. */
  otlpEndpoint?: string;
  /** Exact-match response cache directory; none: no cache. */
  cacheDir?: string;
  /** Provider endpoints and keys; default OPENAI_* / ANTHROPIC_* from the environment. */
  providers?: ProvidersConfig;
  /** Settings of the built-in http_get tool (allow-list, timeout, size cap). */
  http?: HttpGetConfigInput;
  /** Record prompts and completions on spans; default FLOWTRACE_CAPTURE_CONTENT. */
  captureContent?: boolean;
}

export interface WorkflowRuntime {
  runner: LlmStepRunner;
  telemetry: Telemetry;
  tools: Record<string, ToolFunction>;
  http?: HttpGetConfigInput;
  /** Told about runs interrupted at shutdown, so their cancelled spans are not exported. */
  spanFilter?: InterruptedRunSpanFilter;
}

/** The runtime of one thread; call `telemetry.shutdown()` before it ends. */
export function createWorkflowRuntime(options: WorkflowRuntimeOptions = {}, env: NodeJS.ProcessEnv = process.env): WorkflowRuntime {
  const spanFilter = exportDisabled(env) ? undefined : new InterruptedRunSpanFilter(new OTLPTraceExporter({ url: tracesUrl(options.otlpEndpoint, env) }));
  const telemetry = createTelemetry({ exporter: spanFilter, captureContent: options.captureContent });
  const runner = createLlmStepRunner({
    providers: createProviders(options.providers ?? {}, env),
    cache: options.cacheDir === undefined ? undefined : new FileResponseCache({ dir: options.cacheDir }),
    telemetry,
  });
  return { runner, telemetry, tools: SERVICE_TOOLS, http: options.http, spanFilter };
}

/** Errors that mean the run could not start with what it was given. */
const START_ERRORS = [WorkflowValidationError, RunInputError, RunIdError];

/** Runs one order with the executor: checkpoints under `checkpointDir`, limits capped by `limits`. */
export async function executeRun(
  runtime: WorkflowRuntime,
  order: RunOrder,
  signal: AbortSignal,
  options: { checkpointDir: string; limits: Partial<LimitMaxima> },
): Promise<RunOutcome> {
  try {
    const summary = await runWorkflow(order.spec, {
      inputs: order.inputs,
      runId: order.runId,
      resume: order.resume,
      signal,
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
}
