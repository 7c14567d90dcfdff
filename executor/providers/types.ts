// One small interface over both provider SDKs: a single-turn completion, streamed or not,
// with usage already in GenAI semconv arithmetic.
import type { TokenUsage } from '../../core/span.ts';
import type { ProviderName } from '../contracts.ts';

export interface ProviderRequest {
  model: string;
  system?: string;
  prompt: string;
  temperature?: number;
  maxTokens?: number;
  stream?: boolean;
  /** Deadline for the whole call, streaming included; exceeded → ProviderCallError `timeout`. */
  timeoutMs?: number;
}

export interface ProviderResponse {
  text: string;
  /** `input` includes cache reads and writes, `output` includes reasoning. */
  usage: TokenUsage;
  responseId: string;
  responseModel: string;
  finishReasons: string[];
  /** Streaming only: events received, and ms from request to the first one. */
  chunks?: number;
  timeToFirstChunkMs?: number;
}

export interface ProviderClient {
  readonly provider: ProviderName;
  /** Where requests go, for `server.address` / `server.port`. */
  readonly server: { address: string; port: number };
  /** Throws ProviderCallError (classified, never a raw SDK error). */
  complete(req: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse>;
}

export interface ProviderEndpointConfig {
  /** OpenAI: includes `/v1`; Anthropic: without it (the SDKs' own conventions). */
  baseUrl?: string;
  apiKey?: string;
}

export interface AnthropicEndpointConfig extends ProviderEndpointConfig {
  /**
   * Mark the system prompt as a prompt-cache breakpoint, so repeated long instructions are
   * read from Anthropic's cache (cache writes are billed at a premium: off by default).
   */
  cacheSystemPrompt?: boolean;
}

export interface ProvidersConfig {
  openai?: ProviderEndpointConfig;
  anthropic?: AnthropicEndpointConfig;
}
