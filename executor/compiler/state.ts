// The LangGraph state of a workflow run: the run inputs and one record per finished node.
// It is what the checkpointer persists, so a resumed run knows every completed node's
// output (and its tokens and cost) without running it again.
import { Annotation, DeltaChannel } from '@langchain/langgraph';
import type { TokenUsage } from '../../core/span.ts';
import type { FailureReason } from '../../core/span.ts';
import type { NodeType, WorkflowNode } from '../spec/types.ts';

export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'canceled';

/** One node of one run: what it produced and what it cost. */
export interface StepSummary {
  nodeId: string;
  /** `flowtrace.step.id` of the step span; absent for skipped nodes. */
  stepId?: string;
  type: NodeType;
  status: StepStatus;
  output?: unknown;
  /** Router nodes: the branch their rule chose. */
  branch?: string;
  /** Summed over every attempt, failed ones included. */
  tokens: TokenUsage;
  /** Decimal USD; null when a model is unpriced. */
  costUsd: string | null;
  latencyMs: number;
  attempts: number;
  retries: number;
  fallbackUsed: boolean;
  cacheHit: boolean;
  provider?: string;
  model?: string;
  /** Why a node was skipped (no incoming edge taken). */
  skipReason?: string;
  error?: string;
  failureReason?: FailureReason;
  /** True when the record comes from a checkpoint of an earlier attempt of this run. */
  resumed?: boolean;
}

const ZERO_TOKENS: TokenUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

/** A step record before anything ran: no tokens, cost or attempts yet. */
export function emptyStep(node: WorkflowNode, status: StepStatus): StepSummary {
  return {
    nodeId: node.id,
    type: node.type,
    status,
    tokens: { ...ZERO_TOKENS },
    costUsd: node.type === 'llm' ? '0' : null,
    latencyMs: 0,
    attempts: 0,
    retries: 0,
    fallbackUsed: false,
    cacheHit: false,
  };
}

export function skippedStep(node: WorkflowNode, reason: string): StepSummary {
  return { ...emptyStep(node, 'skipped'), skipReason: reason };
}

type Steps = Record<string, StepSummary>;

/** A new record set with the writes on top; a plain key loop copies a large set several times faster than Object.assign. */
function mergeSteps(current: Steps, writes: Steps[]): Steps {
  const merged: Steps = {};
  for (const id in current) merged[id] = current[id]!;
  for (const write of writes) for (const id in write) merged[id] = write[id]!;
  return merged;
}

export const RunState = Annotation.Root({
  inputs: Annotation<Record<string, unknown>>(),
  /** Hash of the workflow the run started with; a resume must use the same one. */
  specHash: Annotation<string>(),
  // A delta channel: each checkpoint stores only the step records written in its superstep
  // (rebuilt on read from the ancestors' writes), so checkpoints grow with the run, not
  // with its square — a merged dict would be re-serialised whole at every superstep.
  steps: new DeltaChannel<Steps, Steps>(mergeSteps, {
    initialValueFactory: () => ({}),
  }),
  /** The node started alone in the current superstep, if one was ('' otherwise): it may schedule its successors itself. */
  solo: Annotation<string>({ reducer: (_previous, next) => next, default: () => '' }),
});

export type RunStateValue = typeof RunState.State;
export type RunStateUpdate = typeof RunState.Update;
