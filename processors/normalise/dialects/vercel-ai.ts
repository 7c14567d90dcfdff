// Vercel AI SDK telemetry (`ai.*`). An `ai.generateText` / `ai.streamText` / ... span
// wraps one `*.doGenerate` / `*.doStream` span per model call and repeats their summed
// usage, so only the inner spans are inference.
//
// Usage conventions differ by SDK version: `ai` ≥ 6 counts input with cache reads and
// writes (and, since 7, writes `ai.usage.inputTokenDetails.*`); `ai` 5 passed the
// provider's own numbers through, so Anthropic input excludes the cache and Gemini output
// excludes reasoning. Spans carry no SDK version, so the reader uses what each span
// proves: the token details, Anthropic's raw usage in `ai.response.providerMetadata`,
// and `ai.usage.totalTokens`.
import type { SpanRecord } from '../../../core/span.ts';
import { GEN_AI, GEN_AI_OPERATION, VERCEL_AI } from '../../../core/semconv.ts';
import { firstCount, firstList, firstString, readCount } from '../attributes.ts';
import { normaliseProvider } from '../providers.ts';
import type { DialectReading } from '../reading.ts';
import { SEMCONV_CONVENTION, toSemconvUsage, type RawUsage, type UsageConvention } from '../usage.ts';

interface OperationShape {
  operation: string;
  wrapper: boolean;
}

const OUTER_CALLS: Readonly<Record<string, OperationShape>> = {
  'ai.generateText': { operation: GEN_AI_OPERATION.INVOKE_AGENT, wrapper: true },
  'ai.streamText': { operation: GEN_AI_OPERATION.INVOKE_AGENT, wrapper: true },
  'ai.generateObject': { operation: GEN_AI_OPERATION.INVOKE_AGENT, wrapper: true },
  'ai.streamObject': { operation: GEN_AI_OPERATION.INVOKE_AGENT, wrapper: true },
  'ai.embed': { operation: GEN_AI_OPERATION.EMBEDDINGS, wrapper: true },
  'ai.embedMany': { operation: GEN_AI_OPERATION.EMBEDDINGS, wrapper: true },
  'ai.toolCall': { operation: GEN_AI_OPERATION.EXECUTE_TOOL, wrapper: false },
};
const MODEL_CALL: OperationShape = { operation: GEN_AI_OPERATION.CHAT, wrapper: false };
const EMBED_CALL: OperationShape = { operation: GEN_AI_OPERATION.EMBEDDINGS, wrapper: false };
const OTHER: OperationShape = { operation: '', wrapper: false };

function shapeOf(operationId: string): OperationShape {
  const outer = OUTER_CALLS[operationId];
  if (outer !== undefined) return outer;
  if (operationId.endsWith('.doGenerate') || operationId.endsWith('.doStream')) return MODEL_CALL;
  if (operationId.endsWith('.doEmbed')) return EMBED_CALL;
  return OTHER;
}

const FINISH_KEYS = [VERCEL_AI.RESPONSE_FINISH_REASON, VERCEL_AI.FINISH_REASON, GEN_AI.RESPONSE_FINISH_REASONS] as const;

interface AnthropicRawUsage {
  input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0);

/** Anthropic's raw usage, which `@ai-sdk/anthropic` (5 and 6) puts in the provider metadata. */
function anthropicRawUsage(metadata: string | undefined): AnthropicRawUsage | undefined {
  if (metadata === undefined || metadata === '') return undefined;
  try {
    const parsed = JSON.parse(metadata) as { anthropic?: { usage?: AnthropicRawUsage } } | null;
    const usage = parsed?.anthropic?.usage;
    return usage !== undefined && typeof usage.input_tokens === 'number' ? usage : undefined;
  } catch {
    return undefined;
  }
}

function rawUsageOf(span: SpanRecord, provider: string): { raw: RawUsage; convention: UsageConvention } {
  const attributes = span.attributes;
  const raw: RawUsage = {
    input: firstCount(attributes, [VERCEL_AI.USAGE_INPUT_TOKENS, VERCEL_AI.USAGE_PROMPT_TOKENS, VERCEL_AI.USAGE_TOKENS]),
    output: firstCount(attributes, [VERCEL_AI.USAGE_OUTPUT_TOKENS, VERCEL_AI.USAGE_COMPLETION_TOKENS]),
    cacheRead: firstCount(attributes, [VERCEL_AI.USAGE_CACHE_READ_TOKENS, VERCEL_AI.USAGE_CACHED_INPUT_TOKENS]),
    cacheWrite: readCount(attributes, VERCEL_AI.USAGE_CACHE_WRITE_TOKENS),
    reasoning: firstCount(attributes, [VERCEL_AI.USAGE_OUTPUT_REASONING_TOKENS, VERCEL_AI.USAGE_REASONING_TOKENS]),
  };
  if (raw.input !== undefined && attributes[VERCEL_AI.USAGE_NO_CACHE_TOKENS] === undefined && provider === 'anthropic') {
    const anthropic = anthropicRawUsage(attributes[VERCEL_AI.RESPONSE_PROVIDER_METADATA]);
    if (anthropic !== undefined) {
      raw.cacheRead = count(anthropic.cache_read_input_tokens);
      raw.cacheWrite = count(anthropic.cache_creation_input_tokens);
      raw.input = count(anthropic.input_tokens) + raw.cacheRead + raw.cacheWrite;
    }
  }
  const total = readCount(attributes, VERCEL_AI.USAGE_TOTAL_TOKENS);
  const reasoning = raw.reasoning ?? 0;
  const outputExcludesReasoning =
    reasoning > 0 && total !== undefined && total === (raw.input ?? 0) + (raw.output ?? 0) + reasoning;
  return { raw, convention: outputExcludesReasoning ? { ...SEMCONV_CONVENTION, outputExcludesReasoning } : SEMCONV_CONVENTION };
}

export function readVercelAi(span: SpanRecord): DialectReading {
  const attributes = span.attributes;
  const shape = shapeOf(attributes[VERCEL_AI.OPERATION_ID] ?? span.name);
  const provider = normaliseProvider(firstString(attributes, [VERCEL_AI.MODEL_PROVIDER, GEN_AI.SYSTEM]));
  const { raw, convention } = rawUsageOf(span, provider);
  const requestModel = firstString(attributes, [VERCEL_AI.MODEL_ID, GEN_AI.REQUEST_MODEL]);
  return {
    operation: shape.operation,
    provider,
    requestModel,
    responseModel: firstString(attributes, [VERCEL_AI.RESPONSE_MODEL, GEN_AI.RESPONSE_MODEL]),
    usage: toSemconvUsage(raw, convention),
    finishReasons: firstList(attributes, FINISH_KEYS),
    wrapper: shape.wrapper,
  };
}
