// CostEnricher: sets `cost` on every normalised span. Only inference spans are priced;
// steps answered from the exact-match cache record what the call would have cost.
import type { CostFacts, EnrichedSpan } from '../../core/span.ts';
import { FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR } from '../../core/semconv.ts';
import { isPlainDecimal, unitsToUsd, usdToUnits } from './decimal.ts';
import { PriceBook, type PriceBookConfig } from './price-book.ts';

export type CostEnricherConfig = PriceBookConfig;

const NS_PER_MS = 1e6;

/** The saved cost a cache-hit step recorded on its `flowtrace.cache.hit` event, normalised; null when absent or invalid. */
function savedCostOf(span: EnrichedSpan): string | null {
  for (const event of span.events) {
    if (event.name !== FLOWTRACE_EVENT.CACHE_HIT) continue;
    const saved = event.attributes[FLOWTRACE_EVENT_ATTR.SAVED_COST_USD];
    if (saved !== undefined && isPlainDecimal(saved)) return unitsToUsd(usdToUnits(saved));
  }
  return null;
}

export class CostEnricher {
  private readonly prices: PriceBook;

  constructor(config: CostEnricherConfig = {}) {
    this.prices = new PriceBook(config);
  }

  /** Sets `span.cost` (in place) and returns the span. */
  enrich(span: EnrichedSpan): EnrichedSpan {
    span.cost = this.costOf(span);
    return span;
  }

  private costOf(span: EnrichedSpan): CostFacts {
    const { genai } = span;
    if (!genai.isInference) {
      return {
        usd: null,
        status: 'not_billable',
        priceRef: '',
        reason: `not an inference span (operation '${genai.operation || 'none'}')`,
        savedUsd: span.run.cacheHit ? savedCostOf(span) : null,
      };
    }
    if (genai.usage === undefined) {
      return { usd: null, status: 'no_usage', priceRef: '', reason: 'inference span reports no token usage', savedUsd: null };
    }
    const atMs = Number(span.startTimeUnixNano) / NS_PER_MS;
    return this.prices.price(genai.provider, genai.responseModel || genai.requestModel, genai.usage, atMs, genai.requestModel);
  }
}
