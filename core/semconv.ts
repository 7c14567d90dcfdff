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
