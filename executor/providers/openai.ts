// OpenAI Chat Completions through the official SDK. SDK retries are off: the llm runner
// retries itself so each attempt is its own span.
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { TokenUsage } from '../../core/span.ts';
import { StreamClock, brokenResponse, guardedCall, missingKey, serverOf } from './call.ts';
import type { ProviderClient, ProviderEndpointConfig, ProviderRequest, ProviderResponse } from './types.ts';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** `prompt_tokens` already includes cached tokens; reasoning is part of `completion_tokens`. */
export function openAiUsage(u: CompletionUsage | null | undefined): TokenUsage {
  return {
    input: u?.prompt_tokens ?? 0,
    output: u?.completion_tokens ?? 0,
    cacheRead: u?.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWrite: u?.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoning: u?.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

function messages(req: ProviderRequest): ChatCompletionMessageParam[] {
  const list: ChatCompletionMessageParam[] = [];
  if (req.system !== undefined) list.push({ role: 'system', content: req.system });
  list.push({ role: 'user', content: req.prompt });
  return list;
}

export class OpenAiProvider implements ProviderClient {
  readonly provider = 'openai' as const;
  readonly server: { address: string; port: number };
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private client: OpenAI | undefined;

  constructor(config: ProviderEndpointConfig = {}, env: NodeJS.ProcessEnv = process.env) {
    this.baseUrl = config.baseUrl ?? env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL;
    this.apiKey = config.apiKey ?? env.OPENAI_API_KEY;
    this.server = serverOf('openai', this.baseUrl);
  }

  complete(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    return guardedCall('openai', req, signal, (callSignal) => (req.stream ? this.streamed(req, callSignal) : this.unary(req, callSignal)));
  }

  private sdk(): OpenAI {
    if (!this.apiKey) throw missingKey('openai', 'OPENAI_API_KEY');
    // logLevel off: the SDK would print unparseable response bodies (content) to stderr.
    this.client ??= new OpenAI({ apiKey: this.apiKey, baseURL: this.baseUrl, maxRetries: 0, logLevel: 'off' });
    return this.client;
  }

  private async unary(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const res = await this.sdk().chat.completions.create(
      { model: req.model, messages: messages(req), temperature: req.temperature, max_completion_tokens: req.maxTokens },
      { signal },
    );
    const choice = res?.choices?.[0];
    if (!choice?.message) throw brokenResponse('openai', 'no choices in completion');
    return {
      text: choice.message.content ?? '',
      usage: openAiUsage(res.usage),
      responseId: res.id ?? '',
      responseModel: res.model ?? req.model,
      finishReasons: res.choices.map((c) => c.finish_reason).filter((r): r is NonNullable<typeof r> => Boolean(r)),
    };
  }

  private async streamed(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
    const clock = new StreamClock();
    const stream = await this.sdk().chat.completions.create(
      {
        model: req.model,
        messages: messages(req),
        temperature: req.temperature,
        max_completion_tokens: req.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal },
    );
    let text = '';
    let id = '';
    let model = '';
    let usage: CompletionUsage | undefined;
    const finishReasons: string[] = [];
    for await (const chunk of stream) {
      clock.tick();
      id ||= chunk.id ?? '';
      model ||= chunk.model ?? '';
      for (const choice of chunk.choices ?? []) {
        if (choice.index === 0 && choice.delta?.content) text += choice.delta.content;
        if (choice.finish_reason) finishReasons[choice.index] = choice.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    if (clock.chunks === 0) throw brokenResponse('openai', 'empty response stream');
    if (finishReasons.length === 0) throw brokenResponse('openai', 'stream ended before a finish reason');
    return {
      text,
      usage: openAiUsage(usage),
      responseId: id,
      responseModel: model || req.model,
      finishReasons: finishReasons.filter(Boolean),
      chunks: clock.chunks,
      timeToFirstChunkMs: clock.firstChunkMs,
    };
  }
}
