// The result of a run: its steps in execution order and the totals a run header shows.
import type { FailureReason, TokenUsage } from '../../core/span.ts';
import type { WorkflowPlan } from '../compiler/plan.ts';
import type { StepSummary } from '../compiler/state.ts';
import { ZERO_USAGE, addUsage, addUsd } from '../telemetry/index.ts';

export type RunStatus = 'succeeded' | 'failed' | 'canceled';

export interface RunTotals {
  /** Every attempt counted; `total` = input + output. */
  tokens: TokenUsage & { total: number };
  /** Decimal USD; null when some llm step's model is unpriced. */
  costUsd: string | null;
  retries: number;
  fallbacks: number;
  cacheHits: number;
  /** Provider calls made (cache hits make none). */
  llmCalls: number;
}

export interface RunSummary {
  runId: string;
  workflowName: string;
  status: RunStatus;
  error?: string;
  failureReason?: FailureReason;
  /** True when this invocation resumed an interrupted run from its checkpoint. */
  resumed: boolean;
  steps: StepSummary[];
  totals: RunTotals;
  durationMs: number;
}

/** Steps in topological order: this invocation's records, else those restored from the checkpoint. */
export function orderedSteps(plan: WorkflowPlan, ledger: ReadonlyMap<string, StepSummary>, restored: Record<string, StepSummary>): StepSummary[] {
  const steps: StepSummary[] = [];
  for (const id of plan.order) {
    const step = ledger.get(id) ?? (restored[id] ? { ...restored[id], resumed: true } : undefined);
    if (step) steps.push(step);
  }
  return steps;
}

export function totalsOf(steps: readonly StepSummary[]): RunTotals {
  let tokens: TokenUsage = { ...ZERO_USAGE };
  let costUsd: string | null = '0';
  const totals = { retries: 0, fallbacks: 0, cacheHits: 0, llmCalls: 0 };
  for (const step of steps) {
    tokens = addUsage(tokens, step.tokens);
    if (step.type === 'llm') {
      costUsd = addUsd(costUsd, step.costUsd);
      totals.llmCalls += step.cacheHit ? 0 : step.attempts;
    }
    totals.retries += step.retries;
    if (step.fallbackUsed) totals.fallbacks += 1;
    if (step.cacheHit) totals.cacheHits += 1;
  }
  return { tokens: { ...tokens, total: tokens.input + tokens.output }, costUsd, ...totals };
}
