// Where a (provider, model) price comes from: the user's overrides first, then
// genai-prices' bundled data. The response model (the exact snapshot) is tried before the
// requested one.
import type { CostFacts, TokenUsage } from '../../core/span.ts';
import { BUNDLED_SOURCE, BundledPrices, type PriceEntry } from './bundled-prices.ts';
import { unitsToUsd } from './decimal.ts';
import { loadPriceOverrides, overrideKey } from './overrides.ts';
import { costUnits } from './price-table.ts';

export interface PriceBookConfig {
  /** JSON file of price overrides (see README.md); none by default. */
  priceOverrideFile?: string;
}

export class PriceBook {
  private readonly bundled = new BundledPrices();
  private readonly overrides: ReadonlyMap<string, PriceEntry>;

  constructor(config: PriceBookConfig = {}) {
    this.overrides = config.priceOverrideFile === undefined ? new Map() : loadPriceOverrides(config.priceOverrideFile);
  }

  /** Cost of `usage` for the first of `models` that has a price at `atMs` (ms since the epoch). */
  price(provider: string, models: readonly string[], usage: TokenUsage, atMs: number): CostFacts {
    for (const model of models) {
      if (model === '') continue;
      const override = this.overrides.size === 0 ? undefined : this.overrides.get(overrideKey(provider, model));
      if (override !== undefined) return priced(override, usage, 'override');
    }
    for (const model of models) {
      if (model === '') continue;
      const entry = this.bundled.lookup(provider, model, atMs);
      if (entry !== undefined) return priced(entry, usage, 'priced');
    }
    return {
      usd: null,
      status: 'unknown_model',
      priceRef: '',
      reason: unknownReason(provider, models),
      savedUsd: null,
    };
  }
}

function priced(entry: PriceEntry, usage: TokenUsage, status: 'priced' | 'override'): CostFacts {
  return { usd: unitsToUsd(costUnits(entry.table, usage)), status, priceRef: entry.ref, reason: '', savedUsd: null };
}

function unknownReason(provider: string, models: readonly string[]): string {
  const named = [...new Set(models.filter((model) => model !== ''))];
  const modelText = named.length === 0 ? 'no model name on the span' : `model ${named.map((model) => `'${model}'`).join(' / ')}`;
  const providerText = provider === '' ? 'unknown provider' : `provider '${provider}'`;
  return `no price for ${providerText}, ${modelText} in ${BUNDLED_SOURCE} or the price overrides`;
}
