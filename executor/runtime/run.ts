// Runs a workflow: validates it, compiles it to LangGraph, invokes it under a run span with
// the run's guard, cancellation and checkpointer, and returns the run's summary. A run that
// fails or is cancelled still resolves (status says so); only a run that cannot start
// (invalid workflow or inputs, a resume without checkpoint) rejects.
import { createHash, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR } from '../../core/semconv.ts';
import type { FailureReason } from '../../core/span.ts';
import type { LlmStepRunner } from '../contracts.ts';
import { FileCheckpointSaver } from '../checkpoint/file-saver.ts';
import { bindingConfigurable, compileWorkflow, recursionLimitFor, type CompiledWorkflow, type RunBinding } from '../compiler/graph.ts';
import { WorkflowPlan } from '../compiler/plan.ts';
import type { RunStateValue, StepSummary } from '../compiler/state.ts';
import { RunGuard, resolveLimits, type GuardHooks } from '../guardrails/guard.ts';
import { WorkflowValidationError } from '../spec/issues.ts';
import { DEFAULT_LIMIT_MAXIMA, type LimitMaxima } from '../spec/semantic.ts';
import type { WorkflowSpec } from '../spec/types.ts';
import { validateDocument } from '../spec/validate.ts';
import { FlowTraceRunError, activeTelemetry, failureReasonOf, type RunHandle, type Telemetry } from '../telemetry/index.ts';
import { builtinTools } from '../tools/builtins.ts';
import type { HttpGetConfigInput } from '../tools/http-get.ts';
import { ToolRegistry, registeredTools } from '../tools/registry.ts';
import type { ToolFunction } from '../tools/types.ts';
import type { RunContext } from './context.ts';
import { RunEvents, type RunEventListener } from './events.ts';
import { resolveInputs } from './inputs.ts';
import { StepLedger, createNodeExecutor, rootCause } from './step.ts';
import { orderedSteps, totalsOf, type RunStatus, type RunSummary } from './summary.ts';

export interface RunWorkflowOptions {
  /** Values for the workflow's declared inputs (ignored on resume: the checkpoint has them). */
  inputs?: Record<string, unknown>;
  /** Also the checkpoint thread id. Generated when absent. */
  runId?: string;
  /** Aborting it cancels the run (status `canceled`). */
  signal?: AbortSignal;
  /** Continue run `runId` from its last checkpoint: completed steps are not run again. */
  resume?: boolean;
  runner?: LlmStepRunner;
  /** Tools for this run, on top of the built-ins and registerTool() registrations. */
  tools?: Record<string, ToolFunction>;
  /** Configured maxima for the workflow's limits and budget (defaults: 200 nodes, 2M tokens, 3600 s, 1000 USD). */
  limits?: Partial<LimitMaxima>;
  onEvent?: RunEventListener;
  /** Where spans go; default: the active telemetry (OTEL_* environment). */
  telemetry?: Telemetry;
  /** Prompts, completions and tool data in events; default: the telemetry's setting. */
  captureContent?: boolean;
  /** Persist checkpoints under `<dir>/<run id>/` so a run survives its process. Default: in memory. */
  checkpointDir?: string;
  /** A checkpointer of your own (takes precedence over checkpointDir). */
  checkpointer?: BaseCheckpointSaver;
  /** Settings of the built-in http_get tool (allow-list, timeout, size cap). */
  http?: HttpGetConfigInput;
}

/** A run that cannot start or resume under this id (no checkpoint, already used, another workflow). */
export class RunIdError extends Error {
  override name = 'RunIdError';
}

const RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function contentOf(spec: WorkflowSpec): { text: string; hash: string } {
  const text = JSON.stringify(spec);
  return { text, hash: createHash('sha256').update(text).digest('hex') };
}

function workflowName(spec: WorkflowSpec): string {
  return spec.name ?? spec.id ?? 'workflow';
}

/** A run fails for the reason its failed step was classified with (a tool's error, a limit, ...). */
function statusOf(error: unknown, steps: Iterable<StepSummary>): { status: RunStatus; reason?: FailureReason } {
  if (error === undefined) return { status: 'succeeded' };
  const failedStep = [...steps].find((step) => step.failureReason !== undefined);
  const reason = failedStep?.failureReason ?? failureReasonOf(error);
  return { status: reason === 'cancelled' ? 'canceled' : 'failed', reason };
}

interface Prepared {
  spec: WorkflowSpec;
  /** Canonical JSON of the spec and its SHA-256: the run's workflow version. */
  content: { text: string; hash: string };
  runId: string;
  maxima: LimitMaxima;
  tools: ToolRegistry;
  checkpointer: BaseCheckpointSaver | undefined;
}

function prepare(specOrDocument: unknown, options: RunWorkflowOptions): Prepared {
  const maxima = { ...DEFAULT_LIMIT_MAXIMA, ...options.limits };
  const tools = new ToolRegistry(Object.entries(builtinTools({ http: options.http })), registeredTools, options.tools);
  const validated = validateDocument(specOrDocument, { maxima, tools: tools.names() });
  if (!validated.ok) throw new WorkflowValidationError(validated.issues);
  const runId = options.runId ?? randomUUID();
  if (!RUN_ID.test(runId)) throw new RunIdError(`run id must match ${RUN_ID} (got ${JSON.stringify(runId)})`);
  if (options.resume && options.runId === undefined) throw new RunIdError('resume needs the runId of the run to continue');
  if (!options.runner && validated.spec.nodes.some((node) => node.type === 'llm')) {
    throw new TypeError("the workflow has llm nodes: pass an LlmStepRunner as option 'runner' (createLlmStepRunner)");
  }
  // Without a place to keep them, checkpoints could never be read back (nothing can resume
  // the run), so none are taken: they cost a state copy at every superstep.
  const checkpointer = options.checkpointer ?? (options.checkpointDir ? new FileCheckpointSaver(options.checkpointDir) : undefined);
  return { spec: validated.spec, content: contentOf(validated.spec), runId, maxima, tools, checkpointer };
}

/** Compiled graphs of recently run workflows (by content), for runs that keep no checkpoints. */
const compiledGraphs = new Map<string, { plan: WorkflowPlan; graph: CompiledWorkflow }>();
const COMPILED_GRAPHS_KEPT = 16;

/**
 * The plan and LangGraph graph of the workflow. Compiling a graph costs about as much as
 * running a short workflow, so graphs without a checkpointer are reused across runs of the
 * same content; the plan gets its own copy of the spec, so later changes to the caller's
 * object cannot leak into other runs.
 */
function compiledFor(prepared: Prepared): { plan: WorkflowPlan; graph: CompiledWorkflow } {
  const parallel = prepared.spec.parallel ?? false;
  if (prepared.checkpointer) {
    const plan = new WorkflowPlan(prepared.spec);
    return { plan, graph: compileWorkflow(plan, { parallel, checkpointer: prepared.checkpointer }) };
  }
  const key = prepared.content.hash;
  let entry = compiledGraphs.get(key);
  if (entry) {
    compiledGraphs.delete(key);
  } else {
    const plan = new WorkflowPlan(JSON.parse(prepared.content.text) as WorkflowSpec);
    entry = { plan, graph: compileWorkflow(plan, { parallel }) };
  }
  compiledGraphs.set(key, entry);
  if (compiledGraphs.size > COMPILED_GRAPHS_KEPT) compiledGraphs.delete(compiledGraphs.keys().next().value!);
  return entry;
}

/** The state an earlier attempt of the run left, checked against this workflow; undefined for a new run. */
async function priorState(graph: CompiledWorkflow, prepared: Prepared, resume: boolean): Promise<RunStateValue | undefined> {
  if (!prepared.checkpointer) {
    if (resume) throw new RunIdError(`no checkpoint for run '${prepared.runId}' to resume (runs are checkpointed only with checkpointDir or a checkpointer)`);
    return undefined;
  }
  const snapshot = await graph.getState({ configurable: { thread_id: prepared.runId } });
  const exists = snapshot.config.configurable?.checkpoint_id !== undefined;
  if (!resume) {
    if (exists) throw new RunIdError(`run '${prepared.runId}' already has checkpoints: resume it or use a new run id`);
    return undefined;
  }
  if (!exists) throw new RunIdError(`no checkpoint for run '${prepared.runId}' to resume`);
  const values = snapshot.values as RunStateValue;
  if (values.specHash !== prepared.content.hash) {
    throw new RunIdError(`run '${prepared.runId}' was started with a different workflow; resume it with the same file`);
  }
  return values;
}

function guardHooks(run: RunHandle, events: RunEvents, controller: AbortController): GuardHooks {
  return {
    onSoftBudget(spentUsd, limitUsd) {
      run.addEvent(FLOWTRACE_EVENT.BUDGET, {
        [FLOWTRACE_EVENT_ATTR.KIND]: 'soft',
        [FLOWTRACE_EVENT_ATTR.SPENT_USD]: spentUsd,
        [FLOWTRACE_EVENT_ATTR.LIMIT_USD]: limitUsd,
      });
      events.emit('budget', { kind: 'soft', spentUsd, limitUsd });
    },
    onGuardrail(limit, error) {
      run.addEvent(FLOWTRACE_EVENT.GUARDRAIL, {
        [FLOWTRACE_EVENT_ATTR.LIMIT]: limit,
        [FLOWTRACE_EVENT_ATTR.REASON]: error.reason,
      });
      events.emit('guardrail', { limit, reason: error.reason, message: error.message });
      // Stops parallel siblings and in-flight provider calls too.
      if (!controller.signal.aborted) controller.abort(error);
    },
    onUnpriced() {
      events.emit('log', { level: 'warn', message: 'a model has no known price: its cost is not counted against the budget' });
    },
  };
}

function restoredUsage(steps: StepSummary[]): { nodes: number; tokens: number; costUsd: string | null } {
  const ran = steps.filter((step) => step.status !== 'skipped');
  const totals = totalsOf(ran);
  return { nodes: ran.length, tokens: totals.tokens.total, costUsd: totals.costUsd };
}

export async function runWorkflow(specOrDocument: WorkflowSpec | unknown, options: RunWorkflowOptions = {}): Promise<RunSummary> {
  const prepared = prepare(specOrDocument, options);
  const { spec, runId } = prepared;
  const resume = options.resume ?? false;
  const inputs = resume ? {} : resolveInputs(spec, options.inputs);
  const { plan, graph } = compiledFor(prepared);
  const telemetry = options.telemetry ?? activeTelemetry();
  const events = new RunEvents(runId, options.onEvent);
  const ledger = new StepLedger(events);
  const controller = new AbortController();
  // Every task of a superstep and every call in flight listen on the run's signal: a wide
  // parallel fan-out is not a listener leak.
  setMaxListeners(0, controller.signal);
  const started = performance.now();

  const prior = await priorState(graph, prepared, resume);

  return telemetry.withRun(
    // The version is the content hash: it names the exact revision of the file that ran.
    { workflowName: workflowName(spec), runId, workflowId: spec.id, workflowVersion: prepared.content.hash.slice(0, 12) },
    async (run) => {
      const guard = new RunGuard(resolveLimits(spec, prepared.maxima), guardHooks(run, events, controller));
      const restored = prior?.steps ?? {};
      const used = restoredUsage(Object.values(restored));
      guard.restore(used.nodes, used.tokens, used.costUsd);
      const ctx: RunContext = {
        runId,
        plan,
        runner: options.runner,
        tools: prepared.tools,
        guard,
        events,
        telemetry,
        signal: controller.signal,
        captureContent: options.captureContent ?? telemetry.captureContent,
        durable: prepared.checkpointer !== undefined,
      };
      const binding: RunBinding = { execute: createNodeExecutor(ctx, ledger), onSkipped: (step) => ledger.record(step) };
      const cancel = () => controller.abort(new FlowTraceRunError('cancelled', 'run cancelled'));
      if (options.signal?.aborted) cancel();
      options.signal?.addEventListener('abort', cancel, { once: true });
      events.emit('run.status', { status: 'running', workflow: workflowName(spec), resumed: resume });
      guard.startClock(controller);
      let error: unknown;
      try {
        await graph.invoke(resume ? null : { inputs, steps: {}, specHash: prepared.content.hash }, {
          configurable: { thread_id: runId, ...bindingConfigurable(binding) },
          signal: controller.signal,
          // Checkpoint before the next node starts, so a killed process loses at most the running nodes.
          durability: 'sync',
          recursionLimit: recursionLimitFor(plan),
        });
        if (controller.signal.aborted) error = controller.signal.reason;
      } catch (err) {
        error = rootCause(err, controller.signal);
      } finally {
        guard.stopClock();
        options.signal?.removeEventListener('abort', cancel);
      }
      const { status, reason } = statusOf(error, ledger.steps.values());
      if (error !== undefined) run.fail(error, reason);
      const steps = orderedSteps(plan, ledger.steps, restored);
      const summary: RunSummary = {
        runId,
        workflowName: workflowName(spec),
        status,
        ...(error === undefined ? {} : { error: (error as Error).message ?? String(error), failureReason: reason }),
        resumed: resume,
        steps,
        totals: totalsOf(steps),
        durationMs: Math.round(performance.now() - started),
      };
      events.emit('run.status', {
        status,
        ...(summary.error ? { error: summary.error, failureReason: reason } : {}),
        totals: summary.totals,
        durationMs: summary.durationMs,
      });
      return summary;
    },
  );
}
