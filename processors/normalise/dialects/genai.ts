// Producers that write the `gen_ai.*` namespace: the current GenAI semconv (v1.41),
// its pre-1.37 names, OpenLLMetry/Traceloop and @anthropic-ai/sdk's built-in tracing.
// They differ in a few names and in one convention (see ../README.md), so one reader
// serves all four.
import type { SpanRecord } from '../../../core/span.ts';
import { ANTHROPIC_SDK, GEN_AI, GEN_AI_OPERATION, GEN_AI_VARIANT, OPENLLMETRY } from '../../../core/semconv.ts';
import { firstCount, firstList, firstString } from '../attributes.ts';
import { normaliseProvider } from '../providers.ts';
import type { DialectReading } from '../reading.ts';
import { INPUT_EXCLUDES_CACHE, SEMCONV_CONVENTION, toSemconvUsage, type UsageConvention } from '../usage.ts';

const INPUT_KEYS = [GEN_AI.USAGE_INPUT_TOKENS, GEN_AI.USAGE_PROMPT_TOKENS] as const;
const OUTPUT_KEYS = [GEN_AI.USAGE_OUTPUT_TOKENS, GEN_AI.USAGE_COMPLETION_TOKENS] as const;
const CACHE_READ_KEYS = [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, GEN_AI_VARIANT.USAGE_CACHE_READ_INPUT_TOKENS] as const;
const CACHE_WRITE_KEYS = [
  GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS,
  GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS,
  GEN_AI_VARIANT.USAGE_CACHE_CREATION_INPUT_TOKENS,
] as const;
const REASONING_KEYS = [
  GEN_AI.USAGE_REASONING_OUTPUT_TOKENS,
  GEN_AI_VARIANT.USAGE_REASONING_TOKENS,
  OPENLLMETRY.USAGE_REASONING_TOKENS,
] as const;
const FINISH_KEYS = [
  GEN_AI.RESPONSE_FINISH_REASONS,
  GEN_AI_VARIANT.RESPONSE_FINISH_REASON,
  OPENLLMETRY.RESPONSE_FINISH_REASON,
  ANTHROPIC_SDK.STOP_REASON,
] as const;

/** OpenLLMetry's `llm.request.type` values. */
const REQUEST_TYPE_OPERATIONS: Readonly<Record<string, string>> = {
  chat: GEN_AI_OPERATION.CHAT,
  completion: GEN_AI_OPERATION.TEXT_COMPLETION,
  embedding: GEN_AI_OPERATION.EMBEDDINGS,
  rerank: 'rerank',
};

/** OpenLLMetry's `traceloop.span.kind` values (task spans have no GenAI counterpart). */
const TRACELOOP_KIND_OPERATIONS: Readonly<Record<string, string>> = {
  workflow: GEN_AI_OPERATION.INVOKE_WORKFLOW,
  agent: GEN_AI_OPERATION.INVOKE_AGENT,
  tool: GEN_AI_OPERATION.EXECUTE_TOOL,
};

/**
 * The last released @traceloop/instrumentation-anthropic (0.27.0) reports Anthropic's
 * `input_tokens` as is, i.e. without cache reads and writes (openllmetry-js #1028 fixes
 * this after 0.27.0).
 */
const OPENLLMETRY_JS_ANTHROPIC_LAST_EXCLUSIVE = [0, 27, 0] as const;

function versionAtMost(version: string, limit: readonly number[]): boolean {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < limit.length; i++) {
    const part = Number.isNaN(parts[i]!) ? 0 : parts[i]!;
    if (part !== limit[i]) return part < limit[i]!;
  }
  return true;
}

function conventionOf(span: SpanRecord): UsageConvention {
  return span.scopeName === OPENLLMETRY.JS_ANTHROPIC_SCOPE && versionAtMost(span.scopeVersion, OPENLLMETRY_JS_ANTHROPIC_LAST_EXCLUSIVE)
    ? INPUT_EXCLUDES_CACHE
    : SEMCONV_CONVENTION;
}

function operationOf(span: SpanRecord): string {
  const attributes = span.attributes;
  const operation = attributes[GEN_AI.OPERATION_NAME];
  if (operation !== undefined && operation !== '') return operation;
  const requestType = attributes[OPENLLMETRY.REQUEST_TYPE];
  if (requestType !== undefined) return REQUEST_TYPE_OPERATIONS[requestType] ?? requestType;
  const kind = attributes[OPENLLMETRY.SPAN_KIND];
  return kind === undefined ? '' : (TRACELOOP_KIND_OPERATIONS[kind] ?? '');
}

export function readGenAiNamespace(span: SpanRecord): DialectReading {
  const attributes = span.attributes;
  return {
    operation: operationOf(span),
    provider: normaliseProvider(firstString(attributes, [GEN_AI.PROVIDER_NAME, GEN_AI.SYSTEM])),
    requestModel: attributes[GEN_AI.REQUEST_MODEL] ?? '',
    responseModel: attributes[GEN_AI.RESPONSE_MODEL] ?? '',
    usage: toSemconvUsage(
      {
        input: firstCount(attributes, INPUT_KEYS),
        output: firstCount(attributes, OUTPUT_KEYS),
        cacheRead: firstCount(attributes, CACHE_READ_KEYS),
        cacheWrite: firstCount(attributes, CACHE_WRITE_KEYS),
        reasoning: firstCount(attributes, REASONING_KEYS),
      },
      conventionOf(span),
    ),
    finishReasons: firstList(attributes, FINISH_KEYS),
    wrapper: false,
  };
}
