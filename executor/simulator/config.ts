// The simulator's configuration: a JSON document (file, admin endpoint or constructor),
// validated once at the edge with ajv so a bad rule is rejected with the path of the
// offending field instead of misbehaving at request time.
import { Ajv, type ErrorObject } from 'ajv';

export type ProviderName = 'openai' | 'anthropic';

export const FAULT_KINDS = [
  'rate_limit',
  'server_error',
  'unavailable',
  'overloaded',
  'timeout',
  'drop',
  'malformed',
  'empty_stream',
  'mid_stream_error',
  'mid_stream_drop',
] as const;

/** What a fault rule makes the simulator do instead of answering normally (README: "Fault kinds"). */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Fault kinds that only make sense on a streaming response; a non-streaming call skips them. */
export const STREAM_ONLY_FAULTS: ReadonlySet<FaultKind> = new Set(['empty_stream', 'mid_stream_error', 'mid_stream_drop']);

export interface LatencySpec {
  /** Delay before the response (streams: before the first event). */
  fixedMs?: number;
  /** Extra delay per output token, reasoning tokens included. */
  perTokenMs?: number;
}

export interface FaultRule {
  /** Model name or glob (`*` matches any run of characters); omitted = every model. */
  model?: string;
  provider?: ProviderName;
  /** 1-based call numbers, counted per model since start or the last reset. */
  calls?: number[];
  /** Probability in [0, 1] that a call matching the other conditions fails; drawn from `seed`. */
  rate?: number;
  /** The fault, or several: one of them is chosen per call with the seeded generator. */
  fault: FaultKind | FaultKind[];
  /** rate_limit: the wait advertised in `retry-after-ms` (and, rounded up to seconds, `retry-after`). */
  retryAfterMs?: number;
  /** timeout: how long the request hangs before the socket is closed without an answer. */
  hangMs?: number;
}

export interface SimulatorConfig {
  /** Seed of the fault rules' `rate` draws; the same seed gives the same faulty call numbers. */
  seed?: number;
  latency?: {
    default?: LatencySpec;
    /** Per model name or glob; an exact name wins, then the first matching glob in key order. */
    models?: Record<string, LatencySpec>;
  };
  /** Evaluated in order; the first rule that matches a call decides its fault. */
  faults?: FaultRule[];
  cache?: {
    /** OpenAI automatic caching: a repeated prefix of whole messages counts once it has this many tokens. */
    openaiMinPrefixTokens?: number;
    /** Anthropic: a `cache_control` breakpoint shorter than this is not cached. */
    anthropicMinPrefixTokens?: number;
  };
  /** OpenAI model names or globs that report reasoning tokens. */
  reasoningModels?: string[];
}

export const DEFAULT_REASONING_MODELS = ['o1*', 'o3*', 'o4*', 'gpt-5*'];
export const DEFAULT_OPENAI_MIN_PREFIX_TOKENS = 1024;
export const DEFAULT_ANTHROPIC_MIN_PREFIX_TOKENS = 0;
export const DEFAULT_RETRY_AFTER_MS = 1000;
export const DEFAULT_HANG_MS = 60_000;
const MAX_HANG_MS = 600_000;

const nonNegativeInt = { type: 'integer', minimum: 0 } as const;
const latencySpec = {
  type: 'object',
  additionalProperties: false,
  properties: { fixedMs: nonNegativeInt, perTokenMs: { type: 'number', minimum: 0 } },
} as const;
const faultKind = { enum: FAULT_KINDS } as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    seed: { type: 'integer' },
    latency: {
      type: 'object',
      additionalProperties: false,
      properties: {
        default: latencySpec,
        models: { type: 'object', additionalProperties: latencySpec },
      },
    },
    faults: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['fault'],
        properties: {
          model: { type: 'string', minLength: 1 },
          provider: { enum: ['openai', 'anthropic'] },
          calls: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1 } },
          rate: { type: 'number', minimum: 0, maximum: 1 },
          // A single kind or a non-empty list of kinds; if/then keeps ajv's messages precise.
          fault: {
            type: ['string', 'array'],
            if: { type: 'string' },
            then: faultKind,
            else: { minItems: 1, uniqueItems: true, items: faultKind },
          },
          retryAfterMs: nonNegativeInt,
          hangMs: { type: 'integer', minimum: 1, maximum: MAX_HANG_MS },
        },
      },
    },
    cache: {
      type: 'object',
      additionalProperties: false,
      properties: { openaiMinPrefixTokens: nonNegativeInt, anthropicMinPrefixTokens: nonNegativeInt },
    },
    reasoningModels: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;

const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

export class SimulatorConfigError extends Error {
  override name = 'SimulatorConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid simulator config: ${problems.join('; ')}`);
  }
}

/** `/faults/0/fault` → `faults[0].fault`, the way a user reads their JSON. */
function fieldPath(instancePath: string): string {
  if (!instancePath) return '(root)';
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => {
      if (/^\d+$/.test(part)) return `${acc}[${part}]`;
      if (!/^[A-Za-z_$][\w$]*$/.test(part)) return `${acc}[${JSON.stringify(part)}]`;
      return acc ? `${acc}.${part}` : part;
    }, '');
}

function describe(error: ErrorObject): string {
  const at = fieldPath(error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at}: unknown property "${String(error.params.additionalProperty)}"`;
    case 'enum':
      return `${at}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${at}: ${error.message ?? 'is invalid'}`;
  }
}

/** Validates a configuration; throws SimulatorConfigError listing every problem. */
export function validateSimulatorConfig(input: unknown): SimulatorConfig {
  if (validate(input)) return input as SimulatorConfig;
  // `if` only reports that a `then`/`else` branch failed; that branch's own error says why.
  const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(describe);
  throw new SimulatorConfigError([...new Set(problems)]);
}
