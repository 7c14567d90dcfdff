// Step costs use the pipeline's own pricing, so the executor and the stored spans agree.
import type { TokenUsage } from '../../core/span.ts';
import { priceUsage, sumUsd } from '../../processors/cost/index.ts';

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 });

export function isZeroUsage(u: TokenUsage): boolean {
  return u.input === 0 && u.output === 0 && u.cacheRead === 0 && u.cacheWrite === 0 && u.reasoning === 0;
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    reasoning: a.reasoning + b.reasoning,
  };
}

/**
 * Decimal USD of one call, priced like the pipeline: the response model (exact snapshot)
 * first, then the requested one. "0" when nothing was used (a failed attempt), null when
 * neither model has a price.
 */
export function callCostUsd(provider: string, requestModel: string, responseModel: string | undefined, usage: TokenUsage): string | null {
  if (isZeroUsage(usage)) return '0';
  const at = new Date();
  const exact = responseModel && responseModel !== requestModel ? priceUsage(provider, responseModel, usage, at).usd : null;
  return exact ?? priceUsage(provider, requestModel, usage, at).usd;
}

/** Exact sum of two decimal USD strings; an unpriced (null) part makes the sum unknown. */
export function addUsd(a: string | null, b: string | null): string | null {
  return a === null || b === null ? null : sumUsd([a, b]);
}
