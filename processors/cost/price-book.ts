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

  /**
   * Cost of `usage` for `model` at `atMs` (ms since the epoch); `fallbackModel` (the
   * requested model, when `model` is the response snapshot) is tried when `model` has no price.
   */
  price(provider: string, model: string, usage: TokenUsage, atMs: number, fallbackModel = ''): CostFacts {
    const entry =
      this.override(provider, model) ??
      this.override(provider, fallbackModel) ??
      this.bundled.lookup(provider, model, atMs) ??
      (fallbackModel === model ? undefined : this.bundled.lookup(provider, fallbackModel, atMs));
    if (entry === undefined) {
      return { usd: null, status: 'unknown_model', priceRef: '', reason: unknownReason(provider, [model, fallbackModel]), savedUsd: null };
    }
    return { usd: unitsToUsd(costUnits(entry.table, usage)), status: entry.status, priceRef: entry.ref, reason: '', savedUsd: null };
  }

  private override(provider: string, model: string): PriceEntry | undefined {
    return this.overrides.size === 0 || model === '' ? undefined : this.overrides.get(overrideKey(provider, model));
  }
}

function unknownReason(provider: string, models: readonly string[]): string {
  const named = [...new Set(models.filter((model) => model !== ''))];
  const modelText = named.length === 0 ? 'no model name on the span' : `model ${named.map((model) => `'${model}'`).join(' / ')}`;
  const providerText = provider === '' ? 'unknown provider' : `provider '${provider}'`;
  return `no price for ${providerText}, ${modelText} in ${BUNDLED_SOURCE} or the price overrides`;
}
