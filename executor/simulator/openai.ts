// OpenAI Chat Completions (`POST /v1/chat/completions`) as the openai SDK reads it.
import {
  checkCommonFields,
  isObject,
  opaqueText,
  readTokenLimit,
  sseData,
  type ParseContext,
  type ProviderDialect,
  type SimCompletion,
  type SimRequest,
} from './dialect.ts';
import type { PromptPiece } from './prompt.ts';

const INSTRUCTION_ROLES = new Set(['system', 'developer']);

function messagePieces(message: unknown, index: number, last: boolean, out: PromptPiece[]): string | undefined {
  if (!isObject(message) || typeof message.role !== 'string') return `\`messages[${index}]\` must be an object with a string \`role\`.`;
  const role = message.role;
  const instructs = last || INSTRUCTION_ROLES.has(role);
  const start = out.length;
  const content = message.content;
  if (typeof content === 'string') out.push({ role, text: content, boundary: false, instructs });
  else if (Array.isArray(content)) {
    for (const part of content) {
      const text = isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : opaqueText(part);
      out.push({ role, text, boundary: false, instructs });
    }
  } else if (content !== undefined && content !== null) {
    return `\`messages[${index}].content\` must be a string, an array of content parts or null.`;
  }
  if (message.tool_calls !== undefined) out.push({ role, text: opaqueText(message.tool_calls), boundary: false, instructs: false });
  // Automatic caching reuses prefixes that end on a message boundary (README: "Caching").
  if (out.length > start) out[out.length - 1].boundary = true;
  return undefined;
}

function parse(body: unknown, context: ParseContext): SimRequest | string {
  if (!isObject(body)) return 'The request body must be a JSON object.';
  const problem = checkCommonFields(body);
  if (problem) return problem;
  const limit = readTokenLimit(body, body.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens');
  if (typeof limit === 'string') return limit;
  const pieces: PromptPiece[] = [];
  if (body.tools !== undefined) pieces.push({ role: 'tools', text: opaqueText(body.tools), boundary: false, instructs: false });
  const messages = body.messages as unknown[];
  for (let i = 0; i < messages.length; i++) {
    const error = messagePieces(messages[i], i, i === messages.length - 1, pieces);
    if (error) return error;
  }
  const model = body.model as string;
  const format = isObject(body.response_format) ? body.response_format.type : undefined;
  return {
    model,
    stream: body.stream === true,
    includeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true,
    maxOutputTokens: limit,
    pieces,
    jsonMode: format === 'json_object' || format === 'json_schema',
    reasoning: context.isReasoningModel(model),
  };
}

function usage(c: SimCompletion) {
  const u = c.usage;
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cacheReadTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const completionId = (c: SimCompletion) => `chatcmpl-sim${c.seq.toString(36).padStart(8, '0')}`;
const created = () => Math.floor(Date.now() / 1000);
const finishReason = (c: SimCompletion) => (c.truncated ? 'length' : 'stop');

function errorShape(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

export const openaiDialect: ProviderDialect = {
  provider: 'openai',
  reportsCacheWrites: false,
  requestIdHeader: 'x-request-id',
  parse,

  message(request, c) {
    return JSON.stringify({
      id: completionId(c),
      object: 'chat.completion',
      created: created(),
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: c.text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason(c),
        },
      ],
      usage: usage(c),
      service_tier: 'default',
      system_fingerprint: 'fp_simulator',
    });
  },

  stream(request, c, chunks) {
    const head = { id: completionId(c), object: 'chat.completion.chunk', created: created(), model: request.model, system_fingerprint: 'fp_simulator' };
    // With include_usage every chunk carries `usage: null` and one extra chunk the totals.
    const tail = request.includeUsage ? { usage: null } : {};
    const chunk = (delta: object, finish: string | null) =>
      sseData({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...tail });
    const finale = [chunk({}, finishReason(c))];
    if (request.includeUsage) finale.push(sseData({ ...head, choices: [], usage: usage(c) }));
    finale.push('data: [DONE]\n\n');
    return {
      prelude: [chunk({ role: 'assistant', content: '', refusal: null }, null)],
      content: chunks.map((text) => chunk({ content: text }, null)),
      finale,
    };
  },

  errorBody(status, message) {
    return JSON.stringify({ error: { message, ...errorShape(status), param: null } });
  },

  streamError() {
    return sseData({ error: { message: 'The server had an error while processing your request. (simulated)', type: 'server_error', param: null, code: null } });
  },
};
