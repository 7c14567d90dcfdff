// Retry policies: a node's `retry` block completed with defaults, the backoff schedule,
// and a sleep that ends early when the run is aborted.
import type { RetryPolicy } from '../contracts.ts';
import type { RetrySpec } from '../spec/types.ts';

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 500,
  backoffFactor: 2,
  maxDelayMs: 10_000,
  jitter: 0.2,
});

/** Tools have side effects: they are tried once unless the node asks for retries. */
export const NO_RETRY: Readonly<RetryPolicy> = Object.freeze({ ...DEFAULT_RETRY, maxAttempts: 1 });

export function retryPolicy(spec: RetrySpec | undefined, defaults: Readonly<RetryPolicy>): RetryPolicy {
  return { ...defaults, ...(spec ? { ...DEFAULT_RETRY, ...spec } : {}) };
}

/** Delay before attempt `attempt + 1`, after `attempt` failed attempts (1-based). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoffFactor ** (attempt - 1));
  return Math.round(base * (1 + policy.jitter * Math.random()));
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
