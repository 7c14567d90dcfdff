// Run totals from enriched spans, by the same rules as the `runs` view
// (storage/migrations/004_views.sql): tokens and cost add inference spans only, so agent,
// workflow and wrapper spans that repeat their children's usage are never counted twice;
// a span delivered twice counts once.
import type { EnrichedSpan } from '../../core/span.ts';
import { sumUsd } from '../cost/index.ts';

export interface RunTotals {
  /** Inference spans (every attempt, failed ones included). */
  llmCalls: number;
  /** Inference spans with attempt > 1. */
  retries: number;
  /** Spans that ran as a fallback (flowtrace.fallback.from set). */
  fallbacks: number;
  /** Steps answered from the exact-match cache. */
  cacheHits: number;
  steps: number;
  toolCalls: number;
  /** Spans with status Error. */
  errorSpans: number;
  /** Spans the failure taxonomy classified (errors and content-filter / context-window stops). */
  failures: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** input + output (input already includes cache, output includes reasoning). */
  totalTokens: number;
  /** Exact decimal USD sum of the priced inference spans. */
  costUsd: string;
  /** Inference spans without a cost (unknown model or no usage). */
  unpricedCalls: number;
  /** Exact decimal USD the cache hits saved. */
  savedCostUsd: string;
}

/** Totals of one run's spans. */
export function rollUpRun(spans: readonly EnrichedSpan[]): RunTotals {
  const totals: RunTotals = {
    llmCalls: 0, retries: 0, fallbacks: 0, cacheHits: 0, steps: 0, toolCalls: 0, errorSpans: 0, failures: 0,
    inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 0,
    costUsd: '0', unpricedCalls: 0, savedCostUsd: '0',
  };
  const costs: string[] = [];
  const saved: string[] = [];
  const seen = new Set<string>();
  for (const span of spans) {
    const key = `${span.traceId}/${span.spanId}`;
    if (seen.has(key)) continue;
    seen.add(key);

    const { genai, run } = span;
    if (run.role === 'step') totals.steps++;
    if (run.role === 'tool') totals.toolCalls++;
    if (run.fallbackFrom !== '') totals.fallbacks++;
    if (run.cacheHit && run.role === 'step') totals.cacheHits++;
    if (span.statusCode === 'Error') totals.errorSpans++;
    if (span.failure !== undefined) totals.failures++;
    if (span.cost?.savedUsd != null) saved.push(span.cost.savedUsd);
    if (!genai.isInference) continue;

    totals.llmCalls++;
    if (run.attempt > 1) totals.retries++;
    const usage = genai.usage;
    if (usage !== undefined) {
      totals.inputTokens += usage.input;
      totals.outputTokens += usage.output;
      totals.cacheReadTokens += usage.cacheRead;
      totals.cacheWriteTokens += usage.cacheWrite;
      totals.reasoningTokens += usage.reasoning;
    }
    const usd = span.cost?.usd ?? null;
    if (usd === null) totals.unpricedCalls++;
    else costs.push(usd);
  }
  totals.totalTokens = totals.inputTokens + totals.outputTokens;
  totals.costUsd = sumUsd(costs);
  totals.savedCostUsd = sumUsd(saved);
  return totals;
}
