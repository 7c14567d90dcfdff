// Published list prices (USD per million tokens), written down here independently of the
// bundled price data the executor and the pipeline use, and exact decimal arithmetic in
// picodollars (1e-12 USD, the scale of the stored Decimal(38, 12)).
import type { UsageTotals } from '../../../executor/simulator/index.ts';

interface ListPrice {
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
}

/** openai.com/api/pricing and anthropic.com/pricing (cache write = 5-minute ephemeral). */
export const LIST_PRICES: Record<string, ListPrice> = {
  'gpt-4o-mini': { input: '0.15', output: '0.60', cacheRead: '0.075', cacheWrite: '0' },
  'gpt-4o': { input: '2.50', output: '10.00', cacheRead: '1.25', cacheWrite: '0' },
  'claude-3-5-haiku-latest': { input: '0.80', output: '4.00', cacheRead: '0.08', cacheWrite: '1.00' },
  'claude-sonnet-4-20250514': { input: '3.00', output: '15.00', cacheRead: '0.30', cacheWrite: '3.75' },
};

const SCALE = 12;

/** A decimal string as an exact integer of picodollars; more than 12 decimals is an error. */
export function toPico(usd: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(usd);
  if (!match) throw new Error(`not a decimal: ${JSON.stringify(usd)}`);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > SCALE) throw new Error(`more than ${SCALE} decimals: ${usd}`);
  return BigInt(match[1]!) * 10n ** BigInt(SCALE) + BigInt(fraction.padEnd(SCALE, '0'));
}

/** Picodollars as a decimal string without trailing zeros. */
export function fromPico(pico: bigint): string {
  const whole = pico / 10n ** BigInt(SCALE);
  const fraction = (pico % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** Price per token in picodollars: USD per million tokens × 10^12 / 10^6. */
const perToken = (usdPerMillion: string) => toPico(usdPerMillion) / 1_000_000n;

/** Cost of usage as the simulator reports it: input includes the cache reads and writes. */
export function listPricePico(model: string, usage: UsageTotals): bigint {
  const price = LIST_PRICES[model];
  if (!price) throw new Error(`no list price written down for ${model}`);
  const uncached = usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens;
  return (
    BigInt(uncached) * perToken(price.input) +
    BigInt(usage.cacheReadTokens) * perToken(price.cacheRead) +
    BigInt(usage.cacheWriteTokens) * perToken(price.cacheWrite) +
    BigInt(usage.outputTokens) * perToken(price.output)
  );
}

export interface ProviderTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  costPico: bigint;
}

/** Token and cost totals over every model of a simulator stats snapshot. */
export function providerTotals(models: Record<string, { usage: UsageTotals }>): ProviderTotals {
  const totals: ProviderTotals = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, costPico: 0n };
  for (const [model, { usage }] of Object.entries(models)) {
    totals.input += usage.inputTokens;
    totals.output += usage.outputTokens;
    totals.cacheRead += usage.cacheReadTokens;
    totals.cacheWrite += usage.cacheWriteTokens;
    totals.reasoning += usage.reasoningTokens;
    totals.costPico += listPricePico(model, usage);
  }
  return totals;
}
