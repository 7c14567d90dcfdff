// What every node runner of one run shares.
import type { TokenUsage } from '../../core/span.ts';
import type { LlmStepRunner } from '../contracts.ts';
import type { WorkflowPlan } from '../compiler/plan.ts';
import type { StepSummary } from '../compiler/state.ts';
import type { RunGuard } from '../guardrails/guard.ts';
import { ZERO_USAGE, addUsage, addUsd, type StepHandle, type Telemetry } from '../telemetry/index.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { EventOrigin, RunEvents } from './events.ts';
import type { RenderScope } from './render.ts';

export interface RunContext {
  runId: string;
  plan: WorkflowPlan;
  /** Present whenever the workflow has llm nodes (checked before the run starts). */
  runner: LlmStepRunner | undefined;
  tools: ToolRegistry;
  guard: RunGuard;
  events: RunEvents;
  telemetry: Telemetry;
  /** Aborted on cancellation or when a limit stops the run. */
  signal: AbortSignal;
  captureContent: boolean;
  /**
   * Checkpoints outlive the process: flush each step's spans before its checkpoint is
   * written, so a step a resumed run will not repeat has its spans delivered.
   */
  durable: boolean;
}

/** Attempts, tokens and cost of one step as they happen, so a failed step still reports them. */
export class StepMeter {
  attempts = 0;
  tokens: TokenUsage = { ...ZERO_USAGE };
  costUsd: string | null = '0';

  attempt(usage: TokenUsage = ZERO_USAGE, costUsd: string | null = '0'): void {
    this.attempts += 1;
    this.tokens = addUsage(this.tokens, usage);
    this.costUsd = addUsd(this.costUsd, costUsd);
  }
}

/** What a node runner gets for one execution. */
export interface NodeRun {
  ctx: RunContext;
  scope: RenderScope;
  step: StepHandle;
  origin: EventOrigin;
  /** This execution's signal: the run's, also aborted when a parallel sibling fails. */
  signal: AbortSignal;
  meter: StepMeter;
}

/** What a node runner reports; the step record adds status, timing and ids. */
export type NodeOutcome = Pick<StepSummary, 'output'> &
  Partial<Pick<StepSummary, 'branch' | 'tokens' | 'costUsd' | 'attempts' | 'retries' | 'fallbackUsed' | 'cacheHit' | 'provider' | 'model'>>;
