// User price overrides: a JSON file that adds models genai-prices does not know (self-
// hosted, private deployments) or replaces its prices. Validated when loaded, with the
// exact place of every mistake in the message.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { normaliseProvider } from '../normalise/providers.ts';
import { numberToDecimal } from './decimal.ts';
import type { PriceEntry } from './bundled-prices.ts';
import { priceFromDecimal, type PriceTable } from './price-table.ts';

/** A price per million tokens: a decimal string (exact) or a JSON number. */
export type PriceValue = string | number;

export interface ModelPriceOverride {
  /** GenAI provider name as spans carry it (`openai`, `anthropic`, `selfhosted`, ...). */
  provider: string;
  model: string;
  input_per_mtok: PriceValue;
  output_per_mtok: PriceValue;
  cache_read_per_mtok?: PriceValue;
  cache_write_per_mtok?: PriceValue;
  reasoning_per_mtok?: PriceValue;
}

export interface PriceOverrideFile {
  models: ModelPriceOverride[];
}

const PRICE_SCHEMA = {
  anyOf: [
    { type: 'string', pattern: '^\\d+(\\.\\d+)?$' },
    { type: 'number', minimum: 0 },
  ],
} as const;

const OVERRIDE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['models'],
  properties: {
    models: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['provider', 'model', 'input_per_mtok', 'output_per_mtok'],
        properties: {
          provider: { type: 'string', minLength: 1 },
          model: { type: 'string', minLength: 1 },
          input_per_mtok: PRICE_SCHEMA,
          output_per_mtok: PRICE_SCHEMA,
          cache_read_per_mtok: PRICE_SCHEMA,
          cache_write_per_mtok: PRICE_SCHEMA,
          reasoning_per_mtok: PRICE_SCHEMA,
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile<PriceOverrideFile>(OVERRIDE_SCHEMA);

export class PriceOverrideError extends Error {
  override name = 'PriceOverrideError';
}

function describe(error: ErrorObject): string {
  const at = error.instancePath === '' ? '(top level)' : error.instancePath;
  if (error.keyword === 'additionalProperties') return `${at}: unknown property '${String(error.params.additionalProperty)}'`;
  if (error.keyword === 'required') return `${at}: missing required property '${String(error.params.missingProperty)}'`;
  if (error.keyword === 'anyOf') return `${at}: must be a non-negative decimal string like "2.5" or a non-negative number`;
  return `${at}: ${error.message ?? 'is invalid'}`;
}

/** Distinct messages, dropping the anyOf branches ajv reports next to their summary. */
function describeAll(errors: ErrorObject[]): string[] {
  const anyOfPaths = new Set(errors.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath));
  const messages = errors
    .filter((error) => error.keyword === 'anyOf' || !anyOfPaths.has(error.instancePath))
    .map(describe);
  return [...new Set(messages)];
}

const PRICE_FIELDS = {
  input_per_mtok: 'input',
  output_per_mtok: 'output',
  cache_read_per_mtok: 'cacheRead',
  cache_write_per_mtok: 'cacheWrite',
  reasoning_per_mtok: 'reasoning',
} as const satisfies Record<string, keyof PriceTable>;

function priceOf(value: PriceValue): bigint {
  return priceFromDecimal(typeof value === 'number' ? numberToDecimal(value) : value);
}

export const overrideKey = (provider: string, model: string): string => `${provider}\u0000${model.toLowerCase()}`;

/** Validated overrides keyed by (provider, lower-cased model). */
export function parsePriceOverrides(content: unknown, origin: string): Map<string, PriceEntry> {
  if (!validate(content)) {
    throw new PriceOverrideError(`price override file ${origin} is invalid:\n  ${describeAll(validate.errors ?? []).join('\n  ')}`);
  }
  const entries = new Map<string, PriceEntry>();
  content.models.forEach((override, index) => {
    const provider = normaliseProvider(override.provider);
    const key = overrideKey(provider, override.model);
    if (entries.has(key)) {
      throw new PriceOverrideError(
        `price override file ${origin} is invalid:\n  /models/${index}: duplicate entry for provider '${provider}' model '${override.model}'`,
      );
    }
    const table: PriceTable = {};
    for (const [field, slot] of Object.entries(PRICE_FIELDS) as Array<[keyof typeof PRICE_FIELDS, keyof PriceTable]>) {
      const value = override[field];
      if (value === undefined) continue;
      try {
        table[slot] = priceOf(value);
      } catch (error) {
        throw new PriceOverrideError(`price override file ${origin} is invalid:\n  /models/${index}/${field}: ${(error as Error).message}`);
      }
    }
    entries.set(key, { table, status: 'override', ref: `override:${provider}/${override.model}` });
  });
  return entries;
}

export function loadPriceOverrides(path: string): Map<string, PriceEntry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PriceOverrideError(`cannot read price override file ${path}: ${(error as Error).message}`);
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new PriceOverrideError(`price override file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parsePriceOverrides(content, path);
}
