// Runs one llm step: cache lookup, then attempts on the primary target and its fallbacks,
// each attempt its own `chat {model}` span under the step, retries and fallbacks recorded
// as events on the step span.
import { setTimeout as delay } from 'node:timers/promises';
import type { TokenUsage } from '../../core/span.ts';
import { FLOWTRACE, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR } from '../../core/semconv.ts';
import { cacheKey, requestDigest, type CachedResponse, type ResponseCache } from '../cache/index.ts';
import type { LlmStepRequest, LlmStepResult, LlmStepRunner, LlmTarget, StepContext } from '../contracts.ts';
import { ProviderCallError, classifyProviderError, type ProviderClient, type ProviderRegistry, type ProviderResponse } from '../providers/index.ts';
import {
  FlowTraceRunError,
  ZERO_USAGE,
  activeTelemetry,
  addUsage,
  addUsd,
  callCostUsd,
  currentSpanHandle,
  type SpanHandle,
  type Telemetry,
} from '../telemetry/index.ts';
import { backoffDelayMs, fallsBackImmediately, validateStepRequest } from './policy.ts';

export interface LlmRunnerDeps {
  providers: ProviderRegistry;
  /** Without one, steps with `cache: true` simply call the provider. */
  cache?: ResponseCache;
  /** Default: the current run's telemetry. */
  telemetry?: Telemetry;
  /** Backoff wait; must reject when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

/** A step that failed for good: the last attempt's reason, every attempt counted. */
export class LlmStepError extends FlowTraceRunError {
  override name = 'LlmStepError';
  constructor(
    readonly lastError: ProviderCallError,
    readonly attempts: number,
    message: string,
  ) {
    super(lastError.reason, message, { cause: lastError });
  }
}

const label = (t: LlmTarget) => `${t.provider}/${t.model}`;
const defaultSleep = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal });

function cancelled(during: string, cause?: unknown): FlowTraceRunError {
  return new FlowTraceRunError('cancelled', `llm step cancelled ${during}`, { cause });
}

interface AttemptPlan {
  target: LlmTarget;
  client: ProviderClient;
  attempt: number;
  retryReason?: string;
  fallbackFrom?: string;
}

type AttemptOutcome = { response: ProviderResponse; costUsd: string | null } | { error: ProviderCallError };

class LlmStepRunnerImpl implements LlmStepRunner {
  constructor(private readonly deps: LlmRunnerDeps) {}

  async run(req: LlmStepRequest, ctx: StepContext): Promise<LlmStepResult> {
    validateStepRequest(req);
    const targets = [req.target, ...req.fallbacks];
    const clients = targets.map((t) => this.deps.providers.get(t.provider));
    if (ctx.signal.aborted) throw cancelled('before it started', ctx.signal.reason);
    const step = currentSpanHandle();
    const keys = req.cache && this.deps.cache ? this.cacheKeys(req, targets, step) : undefined;
    if (keys) {
      const hit = await this.lookup(keys, targets, step);
      if (hit) return hit;
    }
    return this.attempts(req, ctx, targets, clients, keys, step);
  }

  private async attempts(
    req: LlmStepRequest,
    ctx: StepContext,
    targets: LlmTarget[],
    clients: ProviderClient[],
    keys: string[] | undefined,
    step: SpanHandle | undefined,
  ): Promise<LlmStepResult> {
    const telemetry = this.deps.telemetry ?? activeTelemetry();
    const sleep = this.deps.sleep ?? defaultSleep;
    const random = this.deps.random ?? Math.random;
    let attempt = 0;
    let totalUsage: TokenUsage = ZERO_USAGE;
    let costUsd: string | null = '0';
    let lastError: ProviderCallError | undefined;
    for (let ti = 0; ti < targets.length; ti++) {
      const target = targets[ti];
      const isLast = ti === targets.length - 1;
      for (let n = 1; n <= req.retry.maxAttempts; n++) {
        if (ctx.signal.aborted) throw cancelled('between attempts', ctx.signal.reason);
        attempt++;
        const outcome = await this.attempt(telemetry, req, ctx.signal, {
          target,
          client: clients[ti],
          attempt,
          retryReason: lastError?.reason,
          fallbackFrom: ti > 0 ? label(targets[ti - 1]) : undefined,
        });
        const usage = 'response' in outcome ? outcome.response.usage : ZERO_USAGE;
        const attemptCost = 'response' in outcome ? outcome.costUsd : '0';
        totalUsage = addUsage(totalUsage, usage);
        costUsd = addUsd(costUsd, attemptCost);
        if ('response' in outcome) {
          if (keys) await this.store(keys[ti], target, outcome.response, attemptCost, step);
          ctx.onUsage(usage, attemptCost);
          return {
            text: outcome.response.text,
            usage,
            totalUsage,
            costUsd,
            provider: target.provider,
            model: target.model,
            attempts: attempt,
            retries: attempt - (ti + 1),
            fallbackUsed: ti > 0,
            cacheHit: false,
            savedCostUsd: null,
          };
        }
        ctx.onUsage(usage, attemptCost);
        const error = outcome.error;
        lastError = error;
        if (!error.transient) throw this.failure(error, attempt, 'not retryable');
        if (!isLast && fallsBackImmediately(error)) break;
        if (n < req.retry.maxAttempts) {
          const waitMs = Math.round(backoffDelayMs(req.retry, n, error.retryAfterMs, random));
          step?.addEvent(FLOWTRACE_EVENT.RETRY, {
            [FLOWTRACE_EVENT_ATTR.ATTEMPT]: attempt + 1,
            [FLOWTRACE_EVENT_ATTR.DELAY_MS]: waitMs,
            [FLOWTRACE_EVENT_ATTR.REASON]: error.reason,
          });
          ctx.onAttempt?.({ kind: 'retry', attempt: attempt + 1, delayMs: waitMs, reason: error.reason });
          try {
            await sleep(waitMs, ctx.signal);
          } catch (err) {
            throw cancelled('during backoff', err);
          }
        }
      }
      if (!isLast) {
        const from = label(target);
        const to = label(targets[ti + 1]);
        step?.addEvent(FLOWTRACE_EVENT.FALLBACK, {
          [FLOWTRACE_EVENT_ATTR.FROM]: from,
          [FLOWTRACE_EVENT_ATTR.TO]: to,
          [FLOWTRACE_EVENT_ATTR.REASON]: lastError!.reason,
        });
        ctx.onAttempt?.({ kind: 'fallback', attempt: attempt + 1, from, to, reason: lastError!.reason });
      }
    }
    throw this.failure(lastError!, attempt, `every target failed (${targets.map(label).join(', ')})`);
  }

  private async attempt(telemetry: Telemetry, req: LlmStepRequest, signal: AbortSignal, plan: AttemptPlan): Promise<AttemptOutcome> {
    const { target, client } = plan;
    const span = telemetry.startInference({
      provider: target.provider,
      model: target.model,
      stream: req.stream,
      temperature: req.temperature,
      maxTokens: req.maxTokens,
      attempt: plan.attempt,
      retryReason: plan.retryReason,
      fallbackFrom: plan.fallbackFrom,
      server: client.server,
      input: { system: req.system, prompt: req.prompt },
    });
    try {
      const response = await span.run(() =>
        client.complete(
          {
            model: target.model,
            system: req.system,
            prompt: req.prompt,
            temperature: req.temperature,
            maxTokens: req.maxTokens,
            stream: req.stream,
            timeoutMs: req.timeoutMs,
          },
          signal,
        ),
      );
      const costUsd = callCostUsd(target.provider, target.model, response.responseModel, response.usage);
      span.succeed({ ...response, outputText: response.text }, costUsd);
      return { response, costUsd };
    } catch (err) {
      const error = classifyProviderError(target.provider, err, { cancelled: signal.aborted, timedOut: false });
      span.fail(error, error.reason, error.status);
      if (error.reason === 'cancelled') throw cancelled('during a provider call', error);
      return { error };
    }
  }

  private failure(error: ProviderCallError, attempts: number, why: string): LlmStepError {
    return new LlmStepError(error, attempts, `llm step failed after ${attempts} attempt(s), ${why}: ${error.message}`);
  }

  /** One key per target; the request part is hashed once. Unserialisable inputs skip the cache. */
  private cacheKeys(req: LlmStepRequest, targets: LlmTarget[], step: SpanHandle | undefined): string[] | undefined {
    try {
      const digest = requestDigest({
        system: req.system,
        prompt: req.prompt,
        parameters: { temperature: req.temperature, maxTokens: req.maxTokens },
        inputs: req.inputs,
      });
      return targets.map((t) => cacheKey(t.provider, t.model, digest));
    } catch (err) {
      step?.addEvent(FLOWTRACE_EVENT.CACHE_ERROR, { [FLOWTRACE_EVENT_ATTR.REASON]: `no cache key: ${(err as Error).message}` });
      return undefined;
    }
  }

  /** The first target (in fallback order) with a usable entry wins. */
  private async lookup(keys: string[], targets: LlmTarget[], step: SpanHandle | undefined): Promise<LlmStepResult | undefined> {
    const lookups = await Promise.all(keys.map((key) => this.deps.cache!.get(key)));
    for (let i = 0; i < lookups.length; i++) {
      const found = lookups[i];
      if (found.status === 'corrupt') {
        step?.addEvent(FLOWTRACE_EVENT.CACHE_ERROR, { [FLOWTRACE_EVENT_ATTR.KEY_HASH]: keys[i], [FLOWTRACE_EVENT_ATTR.REASON]: found.reason });
      }
    }
    const index = lookups.findIndex((l) => l.status === 'hit');
    if (index < 0) return undefined;
    const { entry } = lookups[index] as { entry: CachedResponse };
    step?.setAttribute(FLOWTRACE.CACHE_HIT, true);
    step?.addEvent(FLOWTRACE_EVENT.CACHE_HIT, {
      [FLOWTRACE_EVENT_ATTR.KEY_HASH]: keys[index],
      [FLOWTRACE_EVENT_ATTR.SAVED_INPUT_TOKENS]: entry.usage.input,
      [FLOWTRACE_EVENT_ATTR.SAVED_OUTPUT_TOKENS]: entry.usage.output,
      ...(entry.costUsd !== null && { [FLOWTRACE_EVENT_ATTR.SAVED_COST_USD]: entry.costUsd }),
    });
    return {
      text: entry.text,
      usage: ZERO_USAGE,
      totalUsage: ZERO_USAGE,
      costUsd: '0',
      provider: targets[index].provider,
      model: targets[index].model,
      attempts: 0,
      retries: 0,
      fallbackUsed: false,
      cacheHit: true,
      savedCostUsd: entry.costUsd,
    };
  }

  /** A failed write costs the next run a call, not this step its answer. */
  private async store(key: string, target: LlmTarget, response: ProviderResponse, costUsd: string | null, step: SpanHandle | undefined) {
    try {
      await this.deps.cache!.set(key, {
        provider: target.provider,
        model: target.model,
        text: response.text,
        usage: response.usage,
        costUsd,
        responseModel: response.responseModel,
        finishReasons: response.finishReasons,
        createdAt: new Date().toISOString(),
      });
    } catch (err) {
      step?.addEvent(FLOWTRACE_EVENT.CACHE_ERROR, { [FLOWTRACE_EVENT_ATTR.KEY_HASH]: key, [FLOWTRACE_EVENT_ATTR.REASON]: `write failed: ${(err as Error).message}` });
    }
  }
}

export function createLlmStepRunner(deps: LlmRunnerDeps): LlmStepRunner {
  return new LlmStepRunnerImpl(deps);
}
