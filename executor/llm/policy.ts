// When to retry, how long to wait, and when to move on to the next target (README "Retry
// and fallback rule").
import type { LlmStepRequest, RetryPolicy } from '../contracts.ts';
import type { ProviderCallError } from '../providers/errors.ts';
import { FlowTraceRunError } from '../telemetry/errors.ts';

function invalid(message: string): never {
  throw new FlowTraceRunError('invalid_request', `llm step: ${message}`);
}

function checkNumber(name: string, value: unknown, min: number, max = Infinity, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    invalid(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}

export function validateStepRequest(req: LlmStepRequest): void {
  if (typeof req.prompt !== 'string') invalid(`prompt must be a string, got ${typeof req.prompt}`);
  if (!req.target || typeof req.target.model !== 'string' || req.target.model === '') invalid('target needs a provider and a model');
  if (!Array.isArray(req.fallbacks)) invalid('fallbacks must be an array');
  const r = req.retry;
  if (!r) invalid('retry policy missing');
  checkNumber('retry.maxAttempts', r.maxAttempts, 1, 100, true);
  checkNumber('retry.initialDelayMs', r.initialDelayMs, 0);
  checkNumber('retry.backoffFactor', r.backoffFactor, 1);
  checkNumber('retry.maxDelayMs', r.maxDelayMs, 0);
  checkNumber('retry.jitter', r.jitter, 0, 1);
  if (req.timeoutMs !== undefined) checkNumber('timeoutMs', req.timeoutMs, 1);
}

/**
 * Wait before retry number `retry` (1 = the first retry): the server's Retry-After when it
 * sent one, else initialDelay·factor^(retry-1) plus up to `jitter` of that at random; never
 * more than maxDelayMs.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const base = policy.initialDelayMs * policy.backoffFactor ** (retry - 1);
  return Math.min(policy.maxDelayMs, base * (1 + random() * policy.jitter));
}

/**
 * A provider that is down (5xx), overloaded or not answering in time is left for the next
 * target at once; rate limits, dropped connections and broken responses are retried first.
 */
export function fallsBackImmediately(error: ProviderCallError): boolean {
  return error.reason === 'overloaded' || error.reason === 'timeout' || (error.status !== undefined && error.status >= 500);
}
