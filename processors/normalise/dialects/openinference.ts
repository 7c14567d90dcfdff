// OpenInference (Arize): `openinference.span.kind` + `llm.*`. `llm.token_count.prompt`
// is the whole prompt (cache reads and writes included: OpenAI's prompt_tokens, the
// Python Anthropic instrumentation sums them), completion includes reasoning.
import type { SpanRecord } from '../../../core/span.ts';
import { GEN_AI_OPERATION, OPENINFERENCE } from '../../../core/semconv.ts';
import { firstString, readCount, readList } from '../attributes.ts';
import { isWellKnownProvider, normaliseProvider } from '../providers.ts';
import type { DialectReading } from '../reading.ts';
import { SEMCONV_CONVENTION, toSemconvUsage } from '../usage.ts';

const KIND_OPERATIONS: Readonly<Record<string, string>> = {
  LLM: GEN_AI_OPERATION.CHAT,
  EMBEDDING: GEN_AI_OPERATION.EMBEDDINGS,
  TOOL: GEN_AI_OPERATION.EXECUTE_TOOL,
  AGENT: GEN_AI_OPERATION.INVOKE_AGENT,
  RETRIEVER: GEN_AI_OPERATION.RETRIEVAL,
  RERANKER: 'rerank',
};

/** `@arizeai/openinference-instrumentation-openai`, `openinference.instrumentation.anthropic` → the instrumented SDK. */
const INSTRUMENTED_SDK = /openinference[.-]instrumentation[.-]([a-z0-9_]+)/;
const scopeProviders = new Map<string, string>();

/**
 * Embedding spans carry no llm.provider / llm.system (spec/embedding_spans.md); the
 * instrumentation scope still names the provider SDK it wraps.
 */
function providerFromScope(scopeName: string): string {
  let provider = scopeProviders.get(scopeName);
  if (provider === undefined) {
    const sdk = INSTRUMENTED_SDK.exec(scopeName)?.[1] ?? '';
    provider = isWellKnownProvider(normaliseProvider(sdk)) ? normaliseProvider(sdk) : '';
    scopeProviders.set(scopeName, provider);
  }
  return provider;
}

export function readOpenInference(span: SpanRecord): DialectReading {
  const attributes = span.attributes;
  const kind = (attributes[OPENINFERENCE.SPAN_KIND] ?? '').toUpperCase();
  const model = firstString(attributes, [OPENINFERENCE.MODEL_NAME, OPENINFERENCE.EMBEDDING_MODEL_NAME]);
  return {
    operation: KIND_OPERATIONS[kind] ?? '',
    // llm.provider is who hosts the model (azure, aws, ...), which decides the price.
    provider: normaliseProvider(firstString(attributes, [OPENINFERENCE.PROVIDER, OPENINFERENCE.SYSTEM])) || providerFromScope(span.scopeName),
    requestModel: attributes[OPENINFERENCE.REQUEST_MODEL_NAME] ?? model,
    responseModel: attributes[OPENINFERENCE.RESPONSE_MODEL_NAME] ?? model,
    usage: toSemconvUsage(
      {
        input: readCount(attributes, OPENINFERENCE.TOKEN_COUNT_PROMPT),
        output: readCount(attributes, OPENINFERENCE.TOKEN_COUNT_COMPLETION),
        cacheRead: readCount(attributes, OPENINFERENCE.TOKEN_COUNT_CACHE_READ),
        cacheWrite: readCount(attributes, OPENINFERENCE.TOKEN_COUNT_CACHE_WRITE),
        reasoning: readCount(attributes, OPENINFERENCE.TOKEN_COUNT_REASONING),
      },
      SEMCONV_CONVENTION,
    ),
    finishReasons: readList(attributes[OPENINFERENCE.FINISH_REASON]),
    wrapper: false,
  };
}
