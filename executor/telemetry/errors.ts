// Errors that carry a failure-taxonomy reason, so whoever records the span (step, run)
// can set `error.type` precisely instead of guessing from a message.
import type { FailureReason } from '../../core/span.ts';

export const FAILURE_REASONS = [
  'rate_limit', 'timeout', 'network', 'auth', 'invalid_request', 'context_length',
  'content_filter', 'provider_error', 'overloaded', 'tool_error', 'parse_error',
  'budget_exceeded', 'limit_exceeded', 'cancelled', 'unknown',
] as const satisfies readonly FailureReason[];

// Fails to compile when core/span.ts gains a reason this list lacks.
type Missing = Exclude<FailureReason, (typeof FAILURE_REASONS)[number]>;
const exhaustive: [Missing] extends [never] ? true : Missing = true;
void exhaustive;

const REASONS: ReadonlySet<string> = new Set(FAILURE_REASONS);

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && REASONS.has(value);
}

/** A failure of a run, step or call with its taxonomy reason (budget_exceeded, cancelled, rate_limit, ...). */
export class FlowTraceRunError extends Error {
  override name = 'FlowTraceRunError';
  constructor(
    readonly reason: FailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The reason recorded for an error: its own `reason` when it carries a valid one (FlowTraceRunError
 * or any error shaped like it), cancellation and timeouts from the platform's abort errors, else `fallback`.
 */
export function failureReasonOf(error: unknown, fallback: FailureReason = 'unknown'): FailureReason {
  if (error && typeof error === 'object') {
    const { reason, name } = error as { reason?: unknown; name?: unknown };
    if (isFailureReason(reason)) return reason;
    if (name === 'AbortError') return 'cancelled';
    if (name === 'TimeoutError') return 'timeout';
  }
  return fallback;
}
