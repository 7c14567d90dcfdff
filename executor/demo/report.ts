// The demo's console lines: live retries, fallbacks and cache hits while a run runs, and a
// one-paragraph summary when it ends.
import type { RunEvent } from '../runtime/events.ts';
import type { RunSummary } from '../runtime/summary.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function eventLine(event: RunEvent): string | undefined {
  const { nodeId, payload: p } = event;
  switch (event.kind) {
    case 'retry':
      return `    ↻ ${nodeId}: ${String(p.reason)} — retry (attempt ${String(p.attempt)}) in ${String(p.delayMs)} ms`;
    case 'fallback':
      return `    ⇢ ${nodeId}: ${String(p.from)} failed (${String(p.reason)}) — falling back to ${String(p.to)}`;
    case 'cache.hit':
      return `    ⚡ ${nodeId}: cache hit (saved $${String(p.savedCostUsd ?? '?')})`;
    default:
      return undefined;
  }
}

export function summaryLines(summary: RunSummary, apiUrl: string): string[] {
  const { totals } = summary;
  const ran = summary.steps.filter((s) => s.status !== 'skipped').length;
  const skipped = summary.steps.length - ran;
  const cost = totals.costUsd === null ? 'cost unknown (unpriced model)' : `$${totals.costUsd}`;
  const route = summary.steps.find((s) => s.branch !== undefined);
  return [
    `    ${summary.status === 'succeeded' ? '✓' : '✗'} ${summary.status} in ${summary.durationMs} ms: ` +
      `${plural(ran, 'step')}${skipped ? ` (${skipped} skipped)` : ''}${route ? `, router → ${route.branch}` : ''}, ` +
      `${totals.tokens.total} tokens, ${cost}, ${plural(totals.llmCalls, 'llm call')}, ` +
      `${plural(totals.retries, 'retry', 'retries')}, ${plural(totals.fallbacks, 'fallback')}, ${plural(totals.cacheHits, 'cache hit')}`,
    ...(summary.error ? [`    error (${summary.failureReason}): ${summary.error}`] : []),
    `    run ${summary.runId}: ${apiUrl}/api/runs/${summary.runId}`,
  ];
}
