import type { CostFacts, TokenUsage } from '../../core/span.ts';
import { PriceBook } from './price-book.ts';

export { CostEnricher, type CostEnricherConfig } from './cost-enricher.ts';
export { PriceBook, type PriceBookConfig } from './price-book.ts';
export { PriceOverrideError, parsePriceOverrides, type PriceOverrideFile, type ModelPriceOverride } from './overrides.ts';
export { sumUsd } from './decimal.ts';

let bundledOnly: PriceBook | undefined;

/**
 * Cost of one call priced from genai-prices' bundled data (no overrides), e.g. for budget
 * checks before a span exists. `provider` is the GenAI provider name (`openai`,
 * `anthropic`, ...), `usage` in semconv terms (input includes cache reads and writes).
 */
export function priceUsage(provider: string, model: string, usage: TokenUsage, at: Date): CostFacts {
  for (const [field, count] of Object.entries(usage)) {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`usage.${field} must be a non-negative integer, got ${count}`);
  }
  if (usage.input < usage.cacheRead + usage.cacheWrite) {
    throw new RangeError(
      `usage.input (${usage.input}) must include cacheRead + cacheWrite (${usage.cacheRead + usage.cacheWrite}): the GenAI semconv counts cached tokens in input`,
    );
  }
  if (usage.output < usage.reasoning) {
    throw new RangeError(`usage.output (${usage.output}) must include reasoning (${usage.reasoning}): the GenAI semconv counts reasoning in output`);
  }
  bundledOnly ??= new PriceBook();
  return bundledOnly.price(provider, model, usage, at.getTime());
}
