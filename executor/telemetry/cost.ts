// Step costs use the pipeline's own pricing, so the executor and the stored spans agree.
import type { TokenUsage } from '../../core/span.ts';
import { priceUsage } from '../../processors/cost/index.ts';

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

/** Decimal USD of one call; "0" when nothing was used (a failed attempt), null when the model is unpriced. */
export function callCostUsd(provider: string, model: string, usage: TokenUsage, at: Date = new Date()): string | null {
  if (isZeroUsage(usage)) return '0';
  return priceUsage(provider, model, usage, at).usd;
}

/** Exact sum of two non-negative decimal strings (no float rounding); null is contagious. */
export function addUsd(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  const [ai, af = ''] = a.split('.');
  const [bi, bf = ''] = b.split('.');
  const scale = Math.max(af.length, bf.length);
  const digits = (BigInt(ai + af.padEnd(scale, '0')) + BigInt(bi + bf.padEnd(scale, '0'))).toString().padStart(scale + 1, '0');
  if (scale === 0) return digits;
  const fraction = digits.slice(-scale).replace(/0+$/, '');
  const whole = digits.slice(0, -scale);
  return fraction ? `${whole}.${fraction}` : whole;
}
