// Enforces a run's limits while it runs: node executions, tokens, wall time and USD.
// Tokens and cost arrive after every llm attempt (StepContext.onUsage), so a run stops
// between attempts, not after the step; the wall clock aborts whatever is in flight.
import type { TokenUsage } from '../../core/span.ts';
import { FlowTraceRunError, addUsd } from '../telemetry/index.ts';
import type { LimitMaxima } from '../spec/semantic.ts';
import type { WorkflowSpec } from '../spec/types.ts';
import { compareUsd, usdFromNumber } from './usd.ts';

export interface RunLimits {
  maxNodes: number;
  maxTokens: number;
  timeoutSeconds: number;
  /** Decimal USD; the run fails with budget_exceeded above it. */
  hardUsd: string;
  /** Decimal USD; a warning is emitted once above it. */
  softUsd?: string;
}

/** The workflow's own limits, each defaulting to the configured maximum. */
export function resolveLimits(spec: WorkflowSpec, maxima: LimitMaxima): RunLimits {
  return {
    maxNodes: spec.limits?.maxNodes ?? maxima.maxNodes,
    maxTokens: spec.limits?.maxTokens ?? maxima.maxTokens,
    timeoutSeconds: spec.limits?.timeoutSeconds ?? maxima.timeoutSeconds,
    hardUsd: usdFromNumber(spec.budget?.hardUsd ?? maxima.budgetUsd),
    softUsd: spec.budget?.softUsd === undefined ? undefined : usdFromNumber(spec.budget.softUsd),
  };
}

export type GuardrailLimit = 'max_nodes' | 'max_tokens' | 'timeout' | 'budget';

export interface GuardHooks {
  /** The soft budget was crossed (once per run). */
  onSoftBudget(spentUsd: string, limitUsd: string): void;
  /** A limit stopped the run. */
  onGuardrail(limit: GuardrailLimit, error: FlowTraceRunError): void;
  /** Cost could not be counted (an unpriced model), so the USD budget is not enforced for it (once per run). */
  onUnpriced(): void;
}

export class RunGuard {
  private nodes = 0;
  private tokens = 0;
  private spentUsd = '0';
  private softWarned = false;
  private unpricedReported = false;
  private timer: NodeJS.Timeout | undefined;
  private tripped: FlowTraceRunError | undefined;

  constructor(
    readonly limits: RunLimits,
    private readonly hooks: GuardHooks,
  ) {}

  /** Counts what an earlier, interrupted attempt of the run already used. */
  restore(executedNodes: number, tokens: number, costUsd: string | null): void {
    this.nodes += executedNodes;
    this.tokens += tokens;
    if (costUsd !== null) this.spentUsd = addUsd(this.spentUsd, costUsd)!;
    this.softWarned = this.limits.softUsd !== undefined && compareUsd(this.spentUsd, this.limits.softUsd) > 0;
  }

  get spent(): { nodes: number; tokens: number; usd: string } {
    return { nodes: this.nodes, tokens: this.tokens, usd: this.spentUsd };
  }

  /** The limit error that stopped the run, if one did. */
  get error(): FlowTraceRunError | undefined {
    return this.tripped;
  }

  /** Aborts `controller` with a limit_exceeded error when the wall-time limit passes. */
  startClock(controller: AbortController): void {
    const ms = this.limits.timeoutSeconds * 1000;
    this.timer = setTimeout(() => {
      controller.abort(this.trip('timeout', 'limit_exceeded', `run exceeded its time limit of ${this.limits.timeoutSeconds} s`));
    }, ms);
    this.timer.unref();
  }

  stopClock(): void {
    clearTimeout(this.timer);
  }

  /** Before a node runs: throws limit_exceeded when it would exceed maxNodes. */
  beforeNode(nodeId: string): void {
    if (this.nodes + 1 > this.limits.maxNodes) {
      throw this.trip('max_nodes', 'limit_exceeded', `node '${nodeId}' would be node execution ${this.nodes + 1}, above maxNodes ${this.limits.maxNodes}`);
    }
    this.nodes += 1;
  }

  /** After each llm attempt: throws limit_exceeded / budget_exceeded when a limit is passed. */
  addUsage(usage: TokenUsage, costUsd: string | null): void {
    this.tokens += usage.input + usage.output;
    if (costUsd === null) {
      if (!this.unpricedReported) {
        this.unpricedReported = true;
        this.hooks.onUnpriced();
      }
    } else {
      this.spentUsd = addUsd(this.spentUsd, costUsd)!;
    }
    if (this.limits.softUsd !== undefined && !this.softWarned && compareUsd(this.spentUsd, this.limits.softUsd) > 0) {
      this.softWarned = true;
      this.hooks.onSoftBudget(this.spentUsd, this.limits.softUsd);
    }
    if (this.tokens > this.limits.maxTokens) {
      throw this.trip('max_tokens', 'limit_exceeded', `run used ${this.tokens} tokens, above maxTokens ${this.limits.maxTokens}`);
    }
    if (compareUsd(this.spentUsd, this.limits.hardUsd) > 0) {
      throw this.trip('budget', 'budget_exceeded', `run cost $${this.spentUsd}, above its hard budget of $${this.limits.hardUsd}`);
    }
  }

  private trip(limit: GuardrailLimit, reason: 'limit_exceeded' | 'budget_exceeded', message: string): FlowTraceRunError {
    const error = new FlowTraceRunError(reason, message);
    if (!this.tripped) {
      this.tripped = error;
      this.hooks.onGuardrail(limit, error);
    }
    return error;
  }
}
