// Anthropic Messages through the official SDK. SDK retries are off (the llm runner retries
// visibly) and so is the SDK's own tracing, which would report every call a second time.
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParams, MessageDeltaUsage, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { TokenUsage } from '../../core/span.ts';
import { StreamClock, brokenResponse, guardedCall, missingKey, serverOf } from './call.ts';
import type { AnthropicEndpointConfig, ProviderClient, ProviderRequest, ProviderResponse } from './types.ts';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** Anthropic requires an output limit; used when the node sets none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

type UsageFields = Pick<Usage, 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens' | 'output_tokens_details'>;

/** Anthropic's `input_tokens` excludes cache reads and writes; semconv's input includes them. */
export function anthropicUsage(u: Partial<UsageFields> | undefined): TokenUsage {
  const cacheRead = u?.cache_read_input_tokens ?? 0;
  const cacheWrite = u?.cache_creation_input_tokens ?? 0;
  return {
    input: (u?.input_tokens ?? 0) + cacheRead + cacheWrite,
    output: u?.output_tokens ?? 0,
    cacheRead,
    cacheWrite,
    reasoning: u?.output_tokens_details?.thinking_tokens ?? 0,
  };
}

/** message_delta counters are whole-message totals that overwrite message_start's, when present. */
function overlay(base: Partial<UsageFields>, delta: MessageDeltaUsage): Partial<UsageFields> {
  const merged: Partial<UsageFields> = { ...base };
  for (const [key, value] of Object.entries(delta)) {
    if (value !== null && value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

export class AnthropicProvider implements ProviderClient {
  readonly provider = 'anthropic' as const;
  readonly server: { address: string; port: number };
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly cacheSystemPrompt: boolean;
  private client: Anthropic | undefined;

  constructor(config: AnthropicEndpointConfig = {}, env: NodeJS.ProcessEnv = process.env) {
    this.baseUrl = config.baseUrl ?? env.ANTHROPIC_BASE_URL ?? ANTHROPIC_DEFAULT_BASE_URL;
    this.apiKey = config.apiKey ?? env.ANTHROPIC_API_KEY;
    this.cacheSystemPrompt = config.cacheSystemPrompt ?? false;
    this.server = serverOf('anthropic', this.baseUrl);
  }

  complete(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    return guardedCall('anthropic', req, signal, (callSignal) => (req.stream ? this.streamed(req, callSignal) : this.unary(req, callSignal)));
  }

  private sdk(): Anthropic {
    if (!this.apiKey) throw missingKey('anthropic', 'ANTHROPIC_API_KEY');
    // logLevel off: the SDK would print unparseable response bodies (content) to stderr.
    this.client ??= new Anthropic({ apiKey: this.apiKey, baseURL: this.baseUrl, maxRetries: 0, openTelemetry: false, logLevel: 'off' });
    return this.client;
  }

  /** No `temperature`: the Messages API version the 1.x SDK speaks (2026-10-21) has none. */
  private params(req: ProviderRequest): MessageCreateParams {
    const params: MessageCreateParams = {
      model: req.model,
      max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: req.prompt }],
    };
    if (req.system !== undefined) {
      params.system = this.cacheSystemPrompt ? [{ type: 'text', text: req.system, cache_control: { type: 'ephemeral' } }] : req.system;
    }
    return params;
  }

  private async unary(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const msg = await this.sdk().messages.create({ ...this.params(req), stream: false }, { signal });
    if (!Array.isArray(msg?.content)) throw brokenResponse('anthropic', 'no content in message');
    return {
      text: msg.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
      usage: anthropicUsage(msg.usage),
      responseId: msg.id ?? '',
      responseModel: msg.model ?? req.model,
      finishReasons: msg.stop_reason ? [msg.stop_reason] : [],
    };
  }

  private async streamed(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const clock = new StreamClock();
    const stream = await this.sdk().messages.create({ ...this.params(req), stream: true }, { signal });
    let text = '';
    let id = '';
    let model = '';
    let usage: Partial<UsageFields> | undefined;
    let stopReason: string | null = null;
    let stopped = false;
    for await (const event of stream) {
      clock.tick();
      switch (event.type) {
        case 'message_start':
          id = event.message.id;
          model = event.message.model;
          usage = event.message.usage;
          break;
        case 'content_block_delta':
          if (event.delta.type === 'text_delta') text += event.delta.text;
          break;
        case 'message_delta':
          stopReason = event.delta.stop_reason ?? stopReason;
          usage = overlay(usage ?? {}, event.usage);
          break;
        case 'message_stop':
          stopped = true;
          break;
      }
    }
    if (clock.chunks === 0) throw brokenResponse('anthropic', 'empty response stream');
    if (!usage) throw brokenResponse('anthropic', 'stream without message_start');
    if (!stopped) throw brokenResponse('anthropic', 'stream ended before message_stop');
    return {
      text,
      usage: anthropicUsage(usage),
      responseId: id,
      responseModel: model || req.model,
      finishReasons: stopReason ? [stopReason] : [],
      chunks: clock.chunks,
      timeToFirstChunkMs: clock.firstChunkMs,
    };
  }
}
