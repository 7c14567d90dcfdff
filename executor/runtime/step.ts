// Executes one node of the compiled graph: decides whether it runs (incoming edges), checks
// the node limit, runs it inside its step span, and records the outcome in the state (for
// the checkpoint) and in the run's ledger (which also keeps the step that failed).
import { randomUUID } from 'node:crypto';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { FailureReason } from '../../core/span.ts';
import type { NodeExecutor } from '../compiler/graph.ts';
import type { Activation } from '../compiler/plan.ts';
import type { StepStatus, StepSummary } from '../compiler/state.ts';
import type { WorkflowNode } from '../spec/types.ts';
import { FlowTraceRunError, ZERO_USAGE, failureReasonOf, type StepHandle } from '../telemetry/index.ts';
import { StepMeter, type NodeOutcome, type NodeRun, type RunContext } from './context.ts';
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

function baseRecord(node: WorkflowNode, status: StepStatus): StepSummary {
  return {
    nodeId: node.id,
    type: node.type,
    status,
    tokens: { ...ZERO_USAGE },
    costUsd: node.type === 'llm' ? '0' : null,
    latencyMs: 0,
    attempts: 0,
    retries: 0,
    fallbackUsed: false,
    cacheHit: false,
  };
}

/** Evaluates a node's incoming edges; a condition that fails to evaluate fails the node. */
function activationOf(ctx: RunContext, nodeId: string, steps: Record<string, StepSummary>): Activation | { error: unknown } {
  try {
    return ctx.plan.activation(nodeId, { steps });
  } catch (err) {
    return { error: new FlowTraceRunError('parse_error', `edge condition into '${nodeId}': ${(err as Error).message}`, { cause: err }) };
  }
}

export function createNodeExecutor(ctx: RunContext, ledger: Map<string, StepSummary>): NodeExecutor {
  const record = (summary: StepSummary, stepId?: string): StepSummary => {
    ledger.set(summary.nodeId, summary);
    ctx.events.emit(
      'step.status',
      { status: summary.status, type: summary.type, ...(summary.skipReason ? { reason: summary.skipReason } : {}), ...(summary.error ? { error: summary.error } : {}) },
      { stepId, nodeId: summary.nodeId },
    );
    return summary;
  };

  const execute = async (node: WorkflowNode, activation: Activation | { error: unknown }, state: { inputs: Record<string, unknown>; steps: Record<string, StepSummary> }, signal: AbortSignal, step: StepHandle) => {
    const origin = { stepId: step.stepId, nodeId: node.id };
    ctx.events.emit('step.status', { status: 'running', type: node.type }, origin);
    const started = performance.now();
    const meter = new StepMeter();
    try {
      if ('error' in activation) throw activation.error;
      const outcome = await runNode(node, { ctx, scope: state, step, origin, signal, meter });
      const summary: StepSummary = {
        ...baseRecord(node, 'succeeded'),
        attempts: 1,
        ...outcome,
        stepId: step.stepId,
        latencyMs: Math.round(performance.now() - started),
      } as StepSummary;
      return { steps: { [node.id]: record(summary, step.stepId) } };
    } catch (err) {
      const cause = rootCause(err, ctx.signal);
      const reason = failureReasonOf(cause, DEFAULT_REASON[node.type]);
      step.fail(cause, reason);
      record(
        {
          ...baseRecord(node, reason === 'cancelled' ? 'canceled' : 'failed'),
          stepId: step.stepId,
          attempts: meter.attempts,
          retries: Math.max(0, meter.attempts - 1),
          tokens: meter.tokens,
          costUsd: node.type === 'llm' ? meter.costUsd : null,
          latencyMs: Math.round(performance.now() - started),
          error: (cause as Error).message ?? String(cause),
          failureReason: reason,
        } as StepSummary,
        step.stepId,
      );
      throw cause;
    }
  };

  return async (nodeId: string, state, config: LangGraphRunnableConfig) => {
    const node = ctx.plan.node(nodeId);
    const activation = activationOf(ctx, nodeId, state.steps);
    if ('active' in activation && !activation.active) {
      return { steps: { [nodeId]: record({ ...baseRecord(node, 'skipped'), skipReason: activation.reason }) } };
    }
    ctx.guard.beforeNode(nodeId);
    return ctx.telemetry.withStep(
      { nodeId, nodeType: node.type, stepId: randomUUID(), semanticLabel: node.semantic_label },
      (step) => execute(node, activation, state, config.signal ?? ctx.signal, step),
    );
  };
}
