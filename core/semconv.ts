// Attribute, span and event names FlowTrace reads and writes, in one place. The GenAI
// constants in @opentelemetry/semantic-conventions are deprecated (moved to a repository
// not yet published on npm), so they live here, pinned to GenAI semconv v1.41.0.

export const GEN_AI = {
  OPERATION_NAME: 'gen_ai.operation.name',
  PROVIDER_NAME: 'gen_ai.provider.name',
  /** Pre-1.37 name of gen_ai.provider.name. */
  SYSTEM: 'gen_ai.system',
  REQUEST_MODEL: 'gen_ai.request.model',
  REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  REQUEST_TEMPERATURE: 'gen_ai.request.temperature',
  REQUEST_STREAM: 'gen_ai.request.stream',
  RESPONSE_MODEL: 'gen_ai.response.model',
  RESPONSE_ID: 'gen_ai.response.id',
  RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  RESPONSE_TIME_TO_FIRST_CHUNK: 'gen_ai.response.time_to_first_chunk',
  USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  USAGE_CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation.input_tokens',
  /** The unreleased GenAI repository's (and @anthropic-ai/sdk's) name for cache_creation. */
  USAGE_CACHE_WRITE_INPUT_TOKENS: 'gen_ai.usage.cache_write.input_tokens',
  USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  /** Pre-1.37 usage names. */
  USAGE_PROMPT_TOKENS: 'gen_ai.usage.prompt_tokens',
  USAGE_COMPLETION_TOKENS: 'gen_ai.usage.completion_tokens',
  CONVERSATION_ID: 'gen_ai.conversation.id',
  WORKFLOW_NAME: 'gen_ai.workflow.name',
  AGENT_NAME: 'gen_ai.agent.name',
  TOOL_NAME: 'gen_ai.tool.name',
  TOOL_CALL_ID: 'gen_ai.tool.call.id',
  TOOL_TYPE: 'gen_ai.tool.type',
  /** Opt-in content (v1.37+): the tool call's arguments and result, JSON strings. */
  TOOL_CALL_ARGUMENTS: 'gen_ai.tool.call.arguments',
  TOOL_CALL_RESULT: 'gen_ai.tool.call.result',
  INPUT_MESSAGES: 'gen_ai.input.messages',
  OUTPUT_MESSAGES: 'gen_ai.output.messages',
  SYSTEM_INSTRUCTIONS: 'gen_ai.system_instructions',
} as const;

export const GEN_AI_OPERATION = {
  CHAT: 'chat',
  TEXT_COMPLETION: 'text_completion',
  GENERATE_CONTENT: 'generate_content',
  EMBEDDINGS: 'embeddings',
  EXECUTE_TOOL: 'execute_tool',
  INVOKE_AGENT: 'invoke_agent',
  INVOKE_WORKFLOW: 'invoke_workflow',
  CREATE_AGENT: 'create_agent',
  RETRIEVAL: 'retrieval',
} as const;

/** Operations whose usage is billed by a provider; only these are priced and summed. */
export const INFERENCE_OPERATIONS: ReadonlySet<string> = new Set([
  GEN_AI_OPERATION.CHAT,
  GEN_AI_OPERATION.TEXT_COMPLETION,
  GEN_AI_OPERATION.GENERATE_CONTENT,
  GEN_AI_OPERATION.EMBEDDINGS,
]);

export const ERROR_TYPE = 'error.type';
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const SERVICE_NAME = 'service.name';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';

/** FlowTrace's own attributes (DESIGN.md §4). */
export const FLOWTRACE = {
  PROJECT_ID: 'flowtrace.project.id',
  RUN_ID: 'flowtrace.run.id',
  WORKFLOW_ID: 'flowtrace.workflow.id',
  WORKFLOW_VERSION: 'flowtrace.workflow.version',
  STEP_ID: 'flowtrace.step.id',
  NODE_ID: 'flowtrace.node.id',
  NODE_TYPE: 'flowtrace.node.type',
  SEMANTIC_LABEL: 'flowtrace.semantic_label',
  ROUTER_BRANCH: 'flowtrace.router.branch',
  ATTEMPT: 'flowtrace.attempt',
  RETRY_REASON: 'flowtrace.retry.reason',
  FALLBACK_FROM: 'flowtrace.fallback.from',
  CACHE_HIT: 'flowtrace.cache.hit',
  /** Decimal USD string the executor priced an inference span at (the pipeline prices it again). */
  COST_USD: 'flowtrace.cost.usd',
  /** Number of chunks a streamed response arrived in. */
  STREAM_CHUNKS: 'flowtrace.stream.chunks',
  /** Set when an attribute value was cut to the configured limit. */
  TRUNCATED_SUFFIX: '…[truncated by flowtrace]',
  /** How many of a span's attributes (its own, its events' and links') ingest dropped over the per-span limit. */
  ATTRIBUTES_DROPPED: 'flowtrace.attributes.dropped',
} as const;

export const FLOWTRACE_EVENT = {
  RETRY: 'flowtrace.retry',
  FALLBACK: 'flowtrace.fallback',
  CACHE_HIT: 'flowtrace.cache.hit',
  /** A cache entry could not be read (corrupt) or written; the step went on without it. */
  CACHE_ERROR: 'flowtrace.cache.error',
  BUDGET: 'flowtrace.budget',
  GUARDRAIL: 'flowtrace.guardrail',
} as const;

/** Event attribute keys used by FlowTrace's events. */
export const FLOWTRACE_EVENT_ATTR = {
  ATTEMPT: 'flowtrace.attempt',
  DELAY_MS: 'flowtrace.retry.delay_ms',
  REASON: 'flowtrace.reason',
  FROM: 'flowtrace.fallback.from',
  TO: 'flowtrace.fallback.to',
  KEY_HASH: 'flowtrace.cache.key_hash',
  SAVED_INPUT_TOKENS: 'flowtrace.cache.saved.input_tokens',
  SAVED_OUTPUT_TOKENS: 'flowtrace.cache.saved.output_tokens',
  SAVED_COST_USD: 'flowtrace.cache.saved.cost_usd',
  SPENT_USD: 'flowtrace.budget.spent_usd',
  LIMIT_USD: 'flowtrace.budget.limit_usd',
  LIMIT: 'flowtrace.guardrail.limit',
  KIND: 'flowtrace.budget.kind',
} as const;

// ---- Other producers' names, read by the dialect normaliser (processors/normalise). ----

/** Same GenAI facts under names some producers use instead of the v1.41 ones. */
export const GEN_AI_VARIANT = {
  /** OpenLLMetry and openlit: underscore-separated cache counters. */
  USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read_input_tokens',
  USAGE_CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation_input_tokens',
  USAGE_REASONING_TOKENS: 'gen_ai.usage.reasoning_tokens',
  USAGE_TOTAL_TOKENS: 'gen_ai.usage.total_tokens',
  RESPONSE_FINISH_REASON: 'gen_ai.response.finish_reason',
} as const;

/** OpenLLMetry / Traceloop (traceloop/openllmetry, openllmetry-js). */
export const OPENLLMETRY = {
  SPAN_KIND: 'traceloop.span.kind',
  WORKFLOW_NAME: 'traceloop.workflow.name',
  ENTITY_NAME: 'traceloop.entity.name',
  REQUEST_TYPE: 'llm.request.type',
  USAGE_TOTAL_TOKENS: 'llm.usage.total_tokens',
  USAGE_REASONING_TOKENS: 'llm.usage.reasoning_tokens',
  RESPONSE_FINISH_REASON: 'llm.response.finish_reason',
  /** Instrumentation scope prefix of the JS instrumentations. */
  JS_SCOPE_PREFIX: '@traceloop/',
  JS_ANTHROPIC_SCOPE: '@traceloop/instrumentation-anthropic',
} as const;

/** OpenInference (Arize), spec/semantic_conventions.md. */
export const OPENINFERENCE = {
  SPAN_KIND: 'openinference.span.kind',
  MODEL_NAME: 'llm.model_name',
  /** Embedding spans name their model here and carry no llm.provider / llm.system. */
  EMBEDDING_MODEL_NAME: 'embedding.model_name',
  REQUEST_MODEL_NAME: 'llm.request.model_name',
  RESPONSE_MODEL_NAME: 'llm.response.model_name',
  PROVIDER: 'llm.provider',
  SYSTEM: 'llm.system',
  FINISH_REASON: 'llm.finish_reason',
  TOKEN_COUNT_PROMPT: 'llm.token_count.prompt',
  TOKEN_COUNT_COMPLETION: 'llm.token_count.completion',
  TOKEN_COUNT_CACHE_READ: 'llm.token_count.prompt_details.cache_read',
  TOKEN_COUNT_CACHE_WRITE: 'llm.token_count.prompt_details.cache_write',
  TOKEN_COUNT_REASONING: 'llm.token_count.completion_details.reasoning',
} as const;

/** Vercel AI SDK telemetry (`ai` ≤ 6 and the `@ai-sdk/otel` legacy adapter). */
export const VERCEL_AI = {
  OPERATION_ID: 'ai.operationId',
  MODEL_ID: 'ai.model.id',
  MODEL_PROVIDER: 'ai.model.provider',
  RESPONSE_MODEL: 'ai.response.model',
  RESPONSE_FINISH_REASON: 'ai.response.finishReason',
  FINISH_REASON: 'ai.finishReason',
  RESPONSE_PROVIDER_METADATA: 'ai.response.providerMetadata',
  USAGE_PROMPT_TOKENS: 'ai.usage.promptTokens',
  USAGE_COMPLETION_TOKENS: 'ai.usage.completionTokens',
  USAGE_INPUT_TOKENS: 'ai.usage.inputTokens',
  USAGE_OUTPUT_TOKENS: 'ai.usage.outputTokens',
  USAGE_CACHED_INPUT_TOKENS: 'ai.usage.cachedInputTokens',
  USAGE_REASONING_TOKENS: 'ai.usage.reasoningTokens',
  USAGE_TOKENS: 'ai.usage.tokens',
  USAGE_TOTAL_TOKENS: 'ai.usage.totalTokens',
  USAGE_NO_CACHE_TOKENS: 'ai.usage.inputTokenDetails.noCacheTokens',
  USAGE_CACHE_READ_TOKENS: 'ai.usage.inputTokenDetails.cacheReadTokens',
  USAGE_CACHE_WRITE_TOKENS: 'ai.usage.inputTokenDetails.cacheWriteTokens',
  USAGE_OUTPUT_REASONING_TOKENS: 'ai.usage.outputTokenDetails.reasoningTokens',
  TOOL_CALL_NAME: 'ai.toolCall.name',
} as const;

/** @anthropic-ai/sdk's built-in tracing (internal/tracing.js). */
export const ANTHROPIC_SDK = {
  SCOPE_NAME: 'com.anthropic.sdk.typescript',
  SPAN_NAME: 'anthropic.messages.create',
  STOP_REASON: 'anthropic.message.stop_reason',
} as const;

/** The OpenTelemetry exception event. */
export const EXCEPTION = {
  EVENT_NAME: 'exception',
  TYPE: 'exception.type',
  MESSAGE: 'exception.message',
} as const;
