// Prices from @pydantic/genai-prices' bundled data (never fetched at run time). The
// library finds the provider and model and picks the effective-dated price for a time;
// FlowTrace then prices tokens itself with exact decimals (the library computes floats).
// Lookups take ~20 µs, so they are memoised per (provider, model) and per time bucket:
// a UTC day, or a UTC minute for models whose price depends on the time of day.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice, type ConditionalPrice, type ModelInfo, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import { numberToDecimal } from './decimal.ts';
import { priceFromDecimal, type Price, type PriceTable } from './price-table.ts';

export interface PriceEntry {
  table: PriceTable;
  status: 'priced' | 'override';
  /** `<source>:<provider>/<model>@<effective>` */
  ref: string;
}

const GENAI_PRICES_VERSION = (
  JSON.parse(readFileSync(join(dirname(createRequire(import.meta.url).resolve('@pydantic/genai-prices')), '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
export const BUNDLED_SOURCE = `genai-prices@${GENAI_PRICES_VERSION}`;

/** GenAI semconv provider names → genai-prices provider ids (others are matched as given). */
const PROVIDER_IDS: Readonly<Record<string, string>> = {
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  'aws.bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
  moonshot_ai: 'moonshotai',
};

const PRICE_KEYS: Readonly<Record<string, keyof PriceTable>> = {
  input_mtok: 'input',
  output_mtok: 'output',
  cache_read_mtok: 'cacheRead',
  cache_write_mtok: 'cacheWrite',
  output_reasoning_mtok: 'reasoning',
  requests_kcount: 'requestsPerThousand',
};

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const SECOND_MS = 1_000;
const MEMO_LIMIT = 10_000;

interface ModelRef {
  providerId: string | undefined;
  provider: Provider;
  model: ModelInfo;
  bucketMs: number;
  entries: Map<number, PriceEntry>;
}

function toPrice(value: ModelPrice[string]): Price | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return priceFromDecimal(numberToDecimal(value));
  return {
    base: priceFromDecimal(numberToDecimal(value.base)),
    tiers: [...value.tiers]
      .sort((a, b) => a.start - b.start)
      .map((tier) => ({ start: tier.start, price: priceFromDecimal(numberToDecimal(tier.price)) })),
  };
}

const tables = new WeakMap<ModelPrice, PriceTable>();

function tableOf(modelPrice: ModelPrice): PriceTable {
  let table = tables.get(modelPrice);
  if (table === undefined) {
    table = {};
    for (const [key, field] of Object.entries(PRICE_KEYS)) {
      const price = toPrice(modelPrice[key]);
      if (price !== undefined) table[field] = price;
    }
    tables.set(modelPrice, table);
  }
  return table;
}

function conditionalPrices(model: ModelInfo): ConditionalPrice[] | undefined {
  return Array.isArray(model.prices) ? model.prices : undefined;
}

/** Day buckets, unless a time-of-day constraint needs minutes (or seconds when not minute-aligned). */
function bucketMsOf(model: ModelInfo): number {
  let bucket = DAY_MS;
  for (const entry of conditionalPrices(model) ?? []) {
    const constraint = entry.constraint;
    if (constraint?.type !== 'time_of_date') continue;
    const minuteAligned = [constraint.start_time, constraint.end_time].every((time) => /^\d{2}:\d{2}:00(\.0+)?(Z|[+-]\d{2}:\d{2})$/.test(time));
    bucket = Math.min(bucket, minuteAligned ? MINUTE_MS : SECOND_MS);
  }
  return bucket;
}

function effectiveLabel(model: ModelInfo, selected: ModelPrice): string {
  const entry = conditionalPrices(model)?.find((candidate) => candidate.prices === selected);
  const constraint = entry?.constraint;
  if (constraint === undefined) return 'base';
  return constraint.type === 'start_date' ? constraint.start_date : `${constraint.start_time}-${constraint.end_time}`;
}

export class BundledPrices {
  /** provider → model → resolution (two lookups instead of a concatenated key per span). */
  private readonly models = new Map<string, Map<string, ModelRef | null>>();
  private size = 0;

  /** The price in force at `atMs` for `provider` (GenAI semconv name, '' = find by model) and `model`. */
  lookup(provider: string, model: string, atMs: number): PriceEntry | undefined {
    if (model === '') return undefined;
    let byModel = this.models.get(provider);
    if (byModel === undefined) {
      byModel = new Map();
      this.models.set(provider, byModel);
    }
    let ref = byModel.get(model);
    if (ref === undefined) {
      ref = this.resolve(provider, model, atMs);
      if (++this.size > MEMO_LIMIT) {
        this.models.clear();
        this.size = 1;
        this.models.set(provider, byModel = new Map());
      }
      byModel.set(model, ref);
    }
    if (ref === null) return undefined;
    const bucket = Math.floor(atMs / ref.bucketMs);
    let entry = ref.entries.get(bucket);
    if (entry === undefined) {
      entry = this.entryAt(ref, model, atMs);
      if (ref.entries.size >= MEMO_LIMIT) ref.entries.clear();
      ref.entries.set(bucket, entry);
    }
    return entry;
  }

  private calc(providerId: string | undefined, model: string, atMs: number) {
    const options = providerId === undefined ? { timestamp: new Date(atMs) } : { providerId, timestamp: new Date(atMs) };
    try {
      return calcPrice({}, model, options);
    } catch {
      // Data the library cannot price (inconsistent entry): treat as unknown.
      return null;
    }
  }

  private resolve(provider: string, model: string, atMs: number): ModelRef | null {
    const providerId = provider === '' ? undefined : (PROVIDER_IDS[provider] ?? provider);
    const result = this.calc(providerId, model, atMs);
    if (result === null) return null;
    return { providerId, provider: result.provider, model: result.model, bucketMs: bucketMsOf(result.model), entries: new Map() };
  }

  private entryAt(ref: ModelRef, model: string, atMs: number): PriceEntry {
    const result = this.calc(ref.providerId, model, atMs);
    const selected = result?.model_price ?? {};
    return {
      table: tableOf(selected),
      status: 'priced',
      ref: `${BUNDLED_SOURCE}:${ref.provider.id}/${ref.model.id}@${effectiveLabel(ref.model, selected)}`,
    };
  }
}
