// Anthropic Messages (`POST /v1/messages`) as @anthropic-ai/sdk reads it.
import {
  checkCommonFields,
  isObject,
  opaqueText,
  readTokenLimit,
  sseEvent,
  type ProviderDialect,
  type SimCompletion,
  type SimRequest,
} from './dialect.ts';
import type { PromptPiece } from './prompt.ts';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const hasCacheControl = (block: unknown) => isObject(block) && block.cache_control !== undefined && block.cache_control !== null;

/** Pieces of a `system` or message `content` value: a string or an array of blocks. */
function contentPieces(content: unknown, role: string, instructs: boolean, where: string, out: PromptPiece[]): string | undefined {
  if (typeof content === 'string') {
    out.push({ role, text: content, boundary: false, instructs });
    return undefined;
  }
  if (!Array.isArray(content)) return `\`${where}\` must be a string or an array of content blocks.`;
  for (const block of content) {
    const text = isObject(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : opaqueText(block);
    out.push({ role, text, boundary: hasCacheControl(block), instructs });
  }
  return undefined;
}

function parse(body: unknown): SimRequest | string {
  if (!isObject(body)) return 'The request body must be a JSON object.';
  const problem = checkCommonFields(body);
  if (problem) return problem;
  const limit = readTokenLimit(body, 'max_tokens');
  if (typeof limit === 'string') return limit;
  if (limit === undefined) return '`max_tokens` is required and must be a positive integer.';
  const pieces: PromptPiece[] = [];
  if (Array.isArray(body.tools)) {
    for (const tool of body.tools) pieces.push({ role: 'tools', text: opaqueText(tool), boundary: hasCacheControl(tool), instructs: false });
  }
  if (body.system !== undefined && body.system !== null) {
    const error = contentPieces(body.system, 'system', true, 'system', pieces);
    if (error) return error;
  }
  const messages = body.messages as unknown[];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message) || typeof message.role !== 'string') return `\`messages[${i}]\` must be an object with a string \`role\`.`;
    const error = contentPieces(message.content, message.role, i === messages.length - 1, `messages[${i}].content`, pieces);
    if (error) return error;
  }
  // Top-level `cache_control` is automatic caching: the breakpoint goes on the last block.
  if (hasCacheControl(body) && pieces.length > 0) pieces[pieces.length - 1].boundary = true;
  const thinking = isObject(body.thinking) ? body.thinking.type : undefined;
  const format = isObject(body.output_config) && isObject(body.output_config.format) ? body.output_config.format.type : undefined;
  return {
    model: body.model as string,
    stream: body.stream === true,
    includeUsage: true,
    maxOutputTokens: limit,
    pieces,
    jsonMode: format === 'json_schema',
    reasoning: thinking === 'enabled' || thinking === 'adaptive',
  };
}

/** `input_tokens` excludes cache reads and writes, as Anthropic reports it. */
function usageFields(c: SimCompletion) {
  const u = c.usage;
  return {
    input_tokens: u.inputTokens - u.cacheReadTokens - u.cacheWriteTokens,
    cache_creation_input_tokens: u.cacheWriteTokens,
    cache_read_input_tokens: u.cacheReadTokens,
    output_tokens_details: u.reasoningTokens > 0 ? { thinking_tokens: u.reasoningTokens } : null,
  };
}

function usage(c: SimCompletion) {
  return {
    ...usageFields(c),
    output_tokens: c.usage.outputTokens,
    cache_creation: { ephemeral_5m_input_tokens: c.usage.cacheWriteTokens, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
  };
}

const messageId = (c: SimCompletion) => `msg_sim${c.seq.toString(36).padStart(8, '0')}`;
const stopReason = (c: SimCompletion) => (c.truncated ? 'max_tokens' : 'end_turn');

export const anthropicDialect: ProviderDialect = {
  provider: 'anthropic',
  reportsCacheWrites: true,
  requestIdHeader: 'request-id',
  parse,

  message(request, c) {
    return JSON.stringify({
      id: messageId(c),
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text: c.text, citations: null }],
      stop_reason: stopReason(c),
      stop_sequence: null,
      usage: usage(c),
    });
  },

  stream(request, c, chunks) {
    const start = {
      type: 'message_start',
      message: {
        id: messageId(c),
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage(c), output_tokens: 1 },
      },
    };
    return {
      prelude: [
        sseEvent('message_start', start),
        sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } }),
        sseEvent('ping', { type: 'ping' }),
      ],
      content: chunks.map((text) =>
        sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
      ),
      finale: [
        sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
        // The final delta carries cumulative output and whole-message counters that overwrite message_start's.
        sseEvent('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: stopReason(c), stop_sequence: null },
          usage: { ...usageFields(c), output_tokens: c.usage.outputTokens, server_tool_use: null },
        }),
        sseEvent('message_stop', { type: 'message_stop' }),
      ],
    };
  },

  errorBody(status, message, requestId) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId });
  },

  streamError(requestId) {
    return sseEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded (simulated)' }, request_id: requestId });
  },
};
