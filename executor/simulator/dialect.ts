// What differs between the provider APIs the simulator speaks: how a request is read and
// how answers, streams and errors are written. Everything else is shared.
import type { ProviderName } from './config.ts';
import type { PromptPiece } from './prompt.ts';

/** A chat request reduced to what the simulator needs. */
export interface SimRequest {
  model: string;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Output budget, reasoning included (`max_completion_tokens` / `max_tokens`). */
  maxOutputTokens?: number;
  pieces: PromptPiece[];
  /** Structured output requested by API parameter (`response_format`, `output_config.format`). */
  jsonMode: boolean;
  /** The model reports reasoning tokens for this request. */
  reasoning: boolean;
}

export interface SimUsage {
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Reasoning included. */
  outputTokens: number;
  reasoningTokens: number;
}

export interface SimCompletion {
  /** Server-wide sequence number, the source of response and request ids. */
  seq: number;
  text: string;
  truncated: boolean;
  usage: SimUsage;
}

/** A stream as ready-to-write SSE frames; faults cut it inside `content`. */
export interface StreamFrames {
  prelude: string[];
  content: string[];
  finale: string[];
}

export interface ParseContext {
  isReasoningModel(model: string): boolean;
}

export interface ProviderDialect {
  readonly provider: ProviderName;
  /** Response header carrying the request id (the SDKs expose it as `requestID` / `_request_id`). */
  readonly requestIdHeader: string;
  /** Whether the API reports cache writes (Anthropic) or only reads (OpenAI). */
  readonly reportsCacheWrites: boolean;
  /** Returns the request, or a precise message for a 400 answer. */
  parse(body: unknown, context: ParseContext): SimRequest | string;
  message(request: SimRequest, completion: SimCompletion): string;
  stream(request: SimRequest, completion: SimCompletion, chunks: readonly string[]): StreamFrames;
  errorBody(status: number, message: string, requestId: string): string;
  /** The error event a provider sends when a stream fails after it started. */
  streamError(requestId: string): string;
}

export function requestId(seq: number): string {
  return `req_sim${seq.toString(36).padStart(8, '0')}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shared request checks; undefined when fine, else the message for a 400. */
export function checkCommonFields(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string' || body.model.length === 0) return '`model` is required and must be a non-empty string.';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return '`messages` is required and must be a non-empty array.';
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return '`stream` must be a boolean.';
  return undefined;
}

/** Undefined when absent, a number when a positive integer, else the message for a 400. */
export function readTokenLimit(body: Record<string, unknown>, field: string): number | string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return `\`${field}\` must be a positive integer.`;
  return value;
}

/** Text of a content part the simulator does not interpret (images, tool calls): its JSON. */
export function opaqueText(part: unknown): string {
  return JSON.stringify(part) ?? '';
}

export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export function sseEvent(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}
