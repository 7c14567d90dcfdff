// The seams between the executor's parts: the graph run-time (spec, compiler, router,
// tools, guardrails, checkpoints) calls the llm step runner and the telemetry through
// these types only.
import type { TokenUsage } from '../core/span.ts';

export type ProviderName = 'openai' | 'anthropic';

/** One provider/model to try; an llm node has a primary target and an optional fallback chain. */
export interface LlmTarget {
  provider: ProviderName;
  model: string;
}

export interface RetryPolicy {
  /** Total attempts per target, including the first. */
  maxAttempts: number;
  initialDelayMs: number;
  backoffFactor: number;
  maxDelayMs: number;
  /** Adds up to this fraction of the delay at random (0 = none). */
  jitter: number;
}

export interface LlmStepRequest {
  target: LlmTarget;
  fallbacks: LlmTarget[];
  retry: RetryPolicy;
  system?: string;
  prompt: string;
  temperature?: number;
  maxTokens?: number;
  stream?: boolean;
  /** Exact-match cache on/off for this step. */
  cache: boolean;
  /** The rendered node inputs, part of the cache key. */
  inputs: Record<string, unknown>;
  timeoutMs?: number;
}

export interface LlmStepResult {
  text: string;
  /** Provider-reported usage of the successful attempt (zeros on a cache hit). */
  usage: TokenUsage;
  /** Usage summed over every attempt of the step, failed ones included (for token limits). */
  totalUsage: TokenUsage;
  /** Decimal USD string of every priced attempt of the step; null when a model is unpriced. */
  costUsd: string | null;
  provider: ProviderName;
  model: string;
  attempts: number;
  retries: number;
  fallbackUsed: boolean;
  cacheHit: boolean;
  /** On a cache hit: what the original call cost, decimal USD. */
  savedCostUsd: string | null;
}

/**
 * A retry or a move to a fallback target, announced as it happens (before the backoff wait
 * or the fallback's first attempt). `attempt` is the 1-based number of the attempt that
 * follows; targets are `provider/model`.
 */
export interface AttemptEvent {
  kind: 'retry' | 'fallback';
  attempt: number;
  /** Backoff before the retry (retries only). */
  delayMs?: number;
  /** Failure reason of the attempt that was given up. */
  reason: string;
  from?: string;
  to?: string;
}

/** What the graph run-time hands the llm runner for one step. */
export interface StepContext {
  signal: AbortSignal;
  /**
   * Called after every attempt with its usage and cost, before the next attempt starts,
   * so guardrails (tokens, USD budget) can stop the run between attempts by throwing.
   */
  onUsage(usage: TokenUsage, costUsd: string | null): void;
  /** Live progress: each retry and fallback while the step is still running. */
  onAttempt?(event: AttemptEvent): void;
}

export interface LlmStepRunner {
  run(request: LlmStepRequest, ctx: StepContext): Promise<LlmStepResult>;
}
