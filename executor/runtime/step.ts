// Executes one node of the compiled graph: checks the node limit, runs the node inside its
// step span, and records the outcome in the state (for the checkpoint) and in the run's
// ledger (which also keeps the step that failed).
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { FailureReason } from '../../core/span.ts';
import type { NodeExecutor } from '../compiler/graph.ts';
import { emptyStep, type RunStateUpdate, type RunStateValue, type StepSummary } from '../compiler/state.ts';
import type { WorkflowNode } from '../spec/types.ts';
import { FlowTraceRunError, failureReasonOf, type StepHandle } from '../telemetry/index.ts';
import { StepMeter, type NodeOutcome, type NodeRun, type RunContext } from './context.ts';
import type { RunEvents } from './events.ts';
import { runLlmNode } from './llm-node.ts';
import { runRouterNode } from './router-node.ts';
import { runToolNode } from './tool-node.ts';

function runNode(node: WorkflowNode, run: NodeRun): Promise<NodeOutcome> | NodeOutcome {
  switch (node.type) {
    case 'llm':
      return runLlmNode(node, run);
    case 'tool':
      return runToolNode(node, run);
    case 'router':
      return runRouterNode(node, run);
  }
}

/** The error that explains a failure: the run's abort reason when the run was stopped. */
export function rootCause(err: unknown, runSignal: AbortSignal): unknown {
  return runSignal.aborted && runSignal.reason !== undefined ? runSignal.reason : err;
}

const DEFAULT_REASON: Record<WorkflowNode['type'], FailureReason> = { llm: 'unknown', tool: 'tool_error', router: 'parse_error' };

/** Every step this invocation settled, failed ones included, each announced as a step.status event. */
export class StepLedger {
  readonly steps = new Map<string, StepSummary>();

  constructor(private readonly events: RunEvents) {}

  record(summary: StepSummary): StepSummary {
    this.steps.set(summary.nodeId, summary);
    const { status, type, skipReason, error } = summary;
    this.events.emit(
      'step.status',
      { status, type, ...(skipReason ? { reason: skipReason } : {}), ...(error ? { error } : {}) },
      { stepId: summary.stepId, nodeId: summary.nodeId },
    );
    return summary;
  }
}

/** A condition into the node that cannot be evaluated fails the node (the scheduler let it through). */
function conditionError(ctx: RunContext, nodeId: string, steps: Record<string, StepSummary>): FlowTraceRunError | undefined {
  try {
    ctx.plan.activation(nodeId, steps);
    return undefined;
  } catch (err) {
    return new FlowTraceRunError('parse_error', `edge condition into '${nodeId}': ${(err as Error).message}`, { cause: err });
  }
}

async function executeInStep(
  ctx: RunContext,
  ledger: StepLedger,
  node: WorkflowNode,
  state: RunStateValue,
  signal: AbortSignal,
  step: StepHandle,
): Promise<RunStateUpdate> {
  const origin = { stepId: step.stepId, nodeId: node.id };
  ctx.events.emit('step.status', { status: 'running', type: node.type }, origin);
  const started = performance.now();
  const meter = new StepMeter();
  try {
    const blocked = conditionError(ctx, node.id, state.steps);
    if (blocked) throw blocked;
    const outcome = await runNode(node, { ctx, scope: state, step, origin, signal, meter });
    const summary: StepSummary = {
      ...emptyStep(node, 'succeeded'),
      attempts: 1,
      ...outcome,
      stepId: step.stepId,
      latencyMs: Math.round(performance.now() - started),
    };
    return { steps: { [node.id]: ledger.record(summary) } };
  } catch (err) {
    const cause = rootCause(err, ctx.signal);
    const reason = failureReasonOf(cause, DEFAULT_REASON[node.type]);
    step.fail(cause, reason);
    ledger.record({
      ...emptyStep(node, reason === 'cancelled' ? 'canceled' : 'failed'),
      stepId: step.stepId,
      attempts: meter.attempts,
      retries: Math.max(0, meter.attempts - 1),
      tokens: meter.tokens,
      costUsd: node.type === 'llm' ? meter.costUsd : null,
      latencyMs: Math.round(performance.now() - started),
      error: cause instanceof Error ? cause.message : String(cause),
      failureReason: reason,
    });
    throw cause;
  }
}

const STEP_FLUSH_LIMIT_MS = 2_000;

async function flushBounded(ctx: RunContext, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
  try {
    await Promise.race([ctx.telemetry.forceFlush().catch(() => {}), limit]);
  } finally {
    clearTimeout(timer);
  }
}

export function createNodeExecutor(ctx: RunContext, ledger: StepLedger): NodeExecutor {
  return async (nodeId: string, state: RunStateValue, config: LangGraphRunnableConfig) => {
    const node = ctx.plan.node(nodeId);
    ctx.guard.beforeNode(nodeId);
    const signal = config.signal ?? ctx.signal;
    // The nodes of a parallel superstep share this signal and every call in flight listens on it.
    setMaxListeners(0, signal);
    const update = await ctx.telemetry.withStep({ nodeId, nodeType: node.type, stepId: randomUUID(), semanticLabel: node.semantic_label }, (step) =>
      executeInStep(ctx, ledger, node, state, signal, step),
    );
    // LangGraph writes the step's checkpoint when this returns; its spans go first. Bounded:
    // an unreachable collector must not stall the run (the exporter keeps retrying).
    if (ctx.durable) await flushBounded(ctx, STEP_FLUSH_LIMIT_MS);
    return update;
  };
}
