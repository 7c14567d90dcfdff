// Turns whatever a provider call threw into one classified error: the failure-taxonomy
// reason, the HTTP status, whether retrying can help, and the server's advertised wait.
import * as AnthropicSdk from '@anthropic-ai/sdk';
import * as OpenAiSdk from 'openai';
import type { FailureReason } from '../../core/span.ts';
import { FlowTraceRunError } from '../telemetry/errors.ts';

export interface ProviderErrorDetails {
  status?: number;
  /** From `retry-after-ms` / `retry-after`, when the server sent one. */
  retryAfterMs?: number;
  /** A later attempt may succeed (rate limits, timeouts, connection and 5xx errors, broken responses). */
  transient: boolean;
}

export class ProviderCallError extends FlowTraceRunError {
  override name = 'ProviderCallError';
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly transient: boolean;

  constructor(
    /** A GenAI provider name; any string, as trackLlmCall classifies callers' own SDK errors. */
    readonly provider: string,
    reason: FailureReason,
    message: string,
    details: ProviderErrorDetails,
    cause?: unknown,
  ) {
    super(reason, `${provider}: ${message}`, { cause });
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.transient = details.transient;
  }
}

/** How the call ended from our side, which outranks what the SDK reports. */
export interface AbortState {
  /** The caller's signal fired (run cancelled). */
  cancelled: boolean;
  /** Our per-call deadline fired. */
  timedOut: boolean;
}

type SdkApiError = OpenAiSdk.APIError | AnthropicSdk.APIError;

function isApiError(err: unknown): err is SdkApiError {
  return err instanceof OpenAiSdk.APIError || err instanceof AnthropicSdk.APIError;
}

/** Seconds or HTTP date in `retry-after`, milliseconds in `retry-after-ms` (the SDKs' convention). */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

const CONTEXT_LENGTH = /context[_ ]length|context window|prompt is too long|maximum context/i;
const CONTENT_FILTER = /content[_ ](filter|policy)/i;

/** Reason and transience for an HTTP error status. */
function byStatus(status: number, code: string, message: string): [FailureReason, boolean] {
  if (status === 429) return ['rate_limit', true];
  if (status === 408 || status === 504) return ['timeout', true];
  if (status === 503 || status === 529) return ['overloaded', true];
  if (status === 409 || status >= 500) return ['provider_error', true];
  if (status === 401 || status === 402 || status === 403) return ['auth', false];
  if (CONTEXT_LENGTH.test(code) || CONTEXT_LENGTH.test(message)) return ['context_length', false];
  if (CONTENT_FILTER.test(code)) return ['content_filter', false];
  return ['invalid_request', false];
}

/** Reason for an error event inside a stream (no HTTP status), from its type. */
function byErrorType(type: string): FailureReason {
  if (/rate_limit/.test(type)) return 'rate_limit';
  if (/overloaded/.test(type)) return 'overloaded';
  return 'provider_error';
}

function describeApiError(err: SdkApiError): { message: string; code: string } {
  const body = (err.error ?? {}) as { message?: unknown; error?: { message?: unknown } };
  const bodyMessage = body.error?.message ?? body.message;
  const text = typeof bodyMessage === 'string' ? bodyMessage : err.message;
  const fields = err as { type?: unknown; code?: unknown; errorCode?: unknown };
  const code = [fields.type, fields.code, fields.errorCode].filter((v) => typeof v === 'string').join(' ');
  return { message: err.status ? `${err.status} ${text.replace(/^\d{3} /, '')}` : text, code };
}

/** Undici reports a connection cut after the headers as a TypeError ("terminated"). */
function isConnectionCut(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return /terminated|fetch failed|socket/i.test(err.message) || (typeof cause?.code === 'string' && cause.code.startsWith('UND_ERR'));
}

export function classifyProviderError(provider: string, err: unknown, state: AbortState): ProviderCallError {
  // An aborted stream just stops, so whatever it looked like afterwards, the abort is the cause.
  if (state.cancelled) return new ProviderCallError(provider, 'cancelled', 'call cancelled', { transient: false }, err);
  if (state.timedOut) return new ProviderCallError(provider, 'timeout', 'call exceeded its deadline', { transient: true }, err);
  if (err instanceof ProviderCallError) return err;
  if (err instanceof OpenAiSdk.APIConnectionTimeoutError || err instanceof AnthropicSdk.APIConnectionTimeoutError) {
    return new ProviderCallError(provider, 'timeout', 'request timed out', { transient: true }, err);
  }
  if (err instanceof OpenAiSdk.APIUserAbortError || err instanceof AnthropicSdk.APIUserAbortError) {
    return new ProviderCallError(provider, 'cancelled', 'call cancelled', { transient: false }, err);
  }
  if (err instanceof OpenAiSdk.APIConnectionError || err instanceof AnthropicSdk.APIConnectionError || isConnectionCut(err)) {
    const cause = (err as { cause?: { message?: unknown } }).cause?.message;
    return new ProviderCallError(provider, 'network', `connection failed${typeof cause === 'string' ? ` (${cause})` : ''}`, { transient: true }, err);
  }
  if (isApiError(err)) {
    const { message, code } = describeApiError(err);
    if (err.status === undefined) {
      return new ProviderCallError(provider, byErrorType(code), `error in response stream: ${message}`, { transient: true }, err);
    }
    const [reason, transient] = byStatus(err.status, code, message);
    return new ProviderCallError(provider, reason, message, { status: err.status, transient, retryAfterMs: retryAfterMs(err.headers) }, err);
  }
  if (err instanceof SyntaxError || err instanceof OpenAiSdk.OpenAIError || err instanceof AnthropicSdk.AnthropicError) {
    return new ProviderCallError(provider, 'provider_error', `malformed response: ${err.message}`, { transient: true }, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderCallError(provider, 'unknown', message, { transient: false }, err);
}
