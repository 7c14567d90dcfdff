// A model's per-million-token prices as exact integers, and what a usage costs at them.
// The split follows genai-prices' unit decomposition: input counts every input token, so
// uncached input = input − cache reads − cache writes when those have their own price
// (otherwise they cost the input price); likewise output − reasoning when reasoning has
// its own price. A tiered price applies one rate to the whole count, chosen by the
// request's total input tokens (`input > tier.start`), as genai-prices does.
import type { TokenUsage } from '../../core/span.ts';
import { PRICE_DECIMALS, toUnits } from './decimal.ts';

export interface TieredPrice {
  base: bigint;
  /** Ascending by start. */
  tiers: ReadonlyArray<{ start: number; price: bigint }>;
}

/** Price per million tokens in 10^-18 USD (so tokens × price is in 10^-24 USD). */
export type Price = bigint | TieredPrice;

export interface PriceTable {
  input?: Price;
  output?: Price;
  cacheRead?: Price;
  cacheWrite?: Price;
  reasoning?: Price;
  /** Price per thousand requests in 10^-18 USD (one request per span). */
  requestsPerThousand?: Price;
}

/** A per-million price written as a decimal string (or the shortest form of a number). */
export function priceFromDecimal(text: string): bigint {
  return toUnits(text, PRICE_DECIMALS);
}

function rate(price: Price, inputTokens: number): bigint {
  if (typeof price === 'bigint') return price;
  let selected = price.base;
  for (const tier of price.tiers) if (inputTokens > tier.start) selected = tier.price;
  return selected;
}

function partCost(tokens: number, price: Price | undefined, inputTokens: number): bigint {
  return price === undefined || tokens <= 0 ? 0n : BigInt(tokens) * rate(price, inputTokens);
}

/** Cost of `usage` in 10^-24 USD. */
export function costUnits(table: PriceTable, usage: TokenUsage): bigint {
  const input = usage.input;
  let uncachedInput = input;
  if (table.cacheRead !== undefined) uncachedInput -= usage.cacheRead;
  if (table.cacheWrite !== undefined) uncachedInput -= usage.cacheWrite;
  let plainOutput = usage.output;
  if (table.reasoning !== undefined) plainOutput -= usage.reasoning;

  let total =
    partCost(uncachedInput, table.input, input) +
    partCost(usage.cacheRead, table.cacheRead, input) +
    partCost(usage.cacheWrite, table.cacheWrite, input) +
    partCost(plainOutput, table.output, input) +
    partCost(usage.reasoning, table.reasoning, input);
  // One request: per-thousand price / 1000, in 10^-24 USD = price × 10^6 / 10^3.
  if (table.requestsPerThousand !== undefined) total += rate(table.requestsPerThousand, input) * 1000n;
  return total;
}
