import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenUsage } from '../../core/span.ts';
import { ERROR_TYPE, FLOWTRACE, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR, GEN_AI, HTTP_RESPONSE_STATUS_CODE } from '../../core/semconv.ts';
import { priceUsage } from '../../processors/cost/index.ts';
import { FileResponseCache } from '../cache/index.ts';
import type { LlmStepRequest, LlmStepResult } from '../contracts.ts';
import { createProviders, type ProviderRegistry } from '../providers/index.ts';
import { ProviderSimulator, type FaultRule, type SimulatorConfig } from '../simulator/index.ts';
import { FlowTraceRunError } from '../telemetry/index.ts';
import { captureTelemetry, one, parentIdOf, spanIdOf, type CapturedTelemetry } from '../telemetry/test-support.ts';
import { LlmStepError, createLlmStepRunner, type LlmRunnerDeps } from './index.ts';

const GPT = 'gpt-4o-mini';
const CLAUDE = 'claude-sonnet-4-20250514';
const tokens = (text: string) => Math.ceil(text.length / 4);

let simulator: ProviderSimulator;
let providers: ProviderRegistry;
let captured: CapturedTelemetry;
let cacheDir: string;

beforeAll(async () => {
  simulator = new ProviderSimulator();
  const address = await simulator.start();
  providers = createProviders(
    { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test' } },
    {},
  );
  captured = captureTelemetry();
});
afterAll(async () => {
  await simulator.stop();
  await captured.telemetry.shutdown();
});
beforeEach(async () => {
  simulator.configure({});
  simulator.reset();
  captured.reset();
  cacheDir = await mkdtemp(join(tmpdir(), 'flowtrace-llm-cache-'));
});
afterEach(() => rm(cacheDir, { recursive: true, force: true }));

function request(overrides: Partial<LlmStepRequest> = {}): LlmStepRequest {
  return {
    target: { provider: 'openai', model: GPT },
    fallbacks: [],
    retry: { maxAttempts: 3, initialDelayMs: 10, backoffFactor: 2, maxDelayMs: 1000, jitter: 0 },
    prompt: 'Summarise the ticket. [[sim:answer=All good]]',
    cache: false,
    inputs: { ticket: 42 },
    ...overrides,
  };
}

function faults(...rules: FaultRule[]): void {
  simulator.configure({ faults: rules } satisfies SimulatorConfig);
}

interface StepRun {
  result?: LlmStepResult;
  error?: unknown;
  spans: ReadableSpan[];
  step: ReadableSpan;
  attempts: ReadableSpan[];
  usageCalls: Array<[TokenUsage, string | null]>;
  sleeps: number[];
}

/** Runs one llm step inside a run and a step span, the way the graph run-time does. */
async function runStep(
  req: LlmStepRequest,
  options: { deps?: Partial<LlmRunnerDeps>; signal?: AbortSignal; onUsage?: (u: TokenUsage, c: string | null) => void } = {},
): Promise<StepRun> {
  const usageCalls: Array<[TokenUsage, string | null]> = [];
  const sleeps: number[] = [];
  const runner = createLlmStepRunner({
    providers,
    telemetry: captured.telemetry,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return delay(ms, undefined, { signal });
    },
    ...options.deps,
  });
  let result: LlmStepResult | undefined;
  let error: unknown;
  try {
    result = await captured.telemetry.withRun({ workflowName: 'wf', runId: 'run-1' }, () =>
      captured.telemetry.withStep({ nodeId: 'answer', nodeType: 'llm', stepId: 'step-1' }, () =>
        runner.run(req, {
          signal: options.signal ?? new AbortController().signal,
          onUsage: (u, c) => {
            usageCalls.push([u, c]);
            options.onUsage?.(u, c);
          },
        }),
      ),
    );
  } catch (err) {
    error = err;
  }
  const spans = await captured.spans();
  captured.reset();
  const step = one(spans, 'step answer');
  const attempts = spans
    .filter((s) => s.name.startsWith('chat '))
    .sort((a, b) => Number(a.attributes[FLOWTRACE.ATTEMPT]) - Number(b.attributes[FLOWTRACE.ATTEMPT]));
  return { result, error, spans, step, attempts, usageCalls, sleeps };
}

const events = (span: ReadableSpan, name: string) => span.events.filter((e) => e.name === name).map((e) => e.attributes);
const simulatorCalls = (model: string) => simulator.stats().models[model]?.calls ?? 0;

describe('a healthy call', () => {
  it('is one CLIENT span under the step with usage and the pipeline price', async () => {
    const req = request({ system: 'Be brief.', temperature: 0.2, maxTokens: 50 });
    const { result, step, attempts, usageCalls, spans } = await runStep(req);
    const usage = { input: tokens('Be brief.') + tokens(req.prompt), output: tokens('All good'), cacheRead: 0, cacheWrite: 0, reasoning: 0 };
    const cost = priceUsage('openai', GPT, usage, new Date()).usd;
    expect(cost).not.toBeNull();
    expect(result).toEqual({
      text: 'All good',
      usage,
      totalUsage: usage,
      costUsd: cost,
      provider: 'openai',
      model: GPT,
      attempts: 1,
      retries: 0,
      fallbackUsed: false,
      cacheHit: false,
      savedCostUsd: null,
    });
    expect(usageCalls).toEqual([[usage, cost]]);
    expect(attempts).toHaveLength(1);
    const [chat] = attempts;
    expect(chat.name).toBe(`chat ${GPT}`);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(parentIdOf(chat)).toBe(spanIdOf(step));
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
    expect(chat.attributes).toMatchObject({
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.PROVIDER_NAME]: 'openai',
      [GEN_AI.REQUEST_MODEL]: GPT,
      [GEN_AI.REQUEST_TEMPERATURE]: 0.2,
      [GEN_AI.REQUEST_MAX_TOKENS]: 50,
      [GEN_AI.RESPONSE_MODEL]: GPT,
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
      [GEN_AI.USAGE_INPUT_TOKENS]: usage.input,
      [GEN_AI.USAGE_OUTPUT_TOKENS]: usage.output,
      [FLOWTRACE.ATTEMPT]: 1,
      [FLOWTRACE.COST_USD]: cost,
      [FLOWTRACE.RUN_ID]: 'run-1',
      [FLOWTRACE.STEP_ID]: 'step-1',
    });
    expect(chat.attributes[GEN_AI.RESPONSE_ID]).toMatch(/\S/);
    expect(chat.attributes[FLOWTRACE.RETRY_REASON]).toBeUndefined();
    expect(chat.attributes[GEN_AI.INPUT_MESSAGES]).toBeUndefined();
    expect(spans.every((s) => s.attributes[FLOWTRACE.RUN_ID] === 'run-1')).toBe(true);
  });

  it.each([
    ['openai', GPT],
    ['anthropic', CLAUDE],
  ] as const)('streams from %s', async (provider, model) => {
    const prompt = 'Stream it. [[sim:answer=one two three four five six]]';
    const { result, attempts } = await runStep(request({ target: { provider, model }, prompt, stream: true }));
    expect(result?.text).toBe('one two three four five six');
    expect(result?.usage).toEqual({ input: tokens(prompt), output: tokens('one two three four five six'), cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    expect(attempts[0].attributes[GEN_AI.REQUEST_STREAM]).toBe(true);
    expect(attempts[0].attributes[FLOWTRACE.STREAM_CHUNKS]).toBeGreaterThan(1);
    expect(attempts[0].attributes[GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThanOrEqual(0);
    expect(simulator.stats().models[model].streamed).toBe(1);
  });

  it('reports reasoning tokens inside output and prices them', async () => {
    const prompt = 'Think. [[sim:answer=42]] [[sim:reasoning=64]]';
    const { result, attempts } = await runStep(request({ target: { provider: 'openai', model: 'o3-mini' }, prompt }));
    const usage = { input: tokens(prompt), output: tokens('42') + 64, cacheRead: 0, cacheWrite: 0, reasoning: 64 };
    expect(result?.usage).toEqual(usage);
    expect(attempts[0].attributes[GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]).toBe(64);
    expect(result?.costUsd).toBe(priceUsage('openai', 'o3-mini', usage, new Date()).usd);
  });

  it('records prompt and answer only when content capture is on', async () => {
    const withContent = captureTelemetry({ captureContent: true });
    const runner = createLlmStepRunner({ providers, telemetry: withContent.telemetry });
    await withContent.telemetry.withStep({ nodeId: 'n', nodeType: 'llm' }, () =>
      runner.run(request({ system: 'sys' }), { signal: new AbortController().signal, onUsage() {} }),
    );
    const chat = one(await withContent.spans(), `chat ${GPT}`);
    expect(JSON.parse(chat.attributes[GEN_AI.INPUT_MESSAGES] as string)[0].parts[0].content).toBe(request().prompt);
    expect(JSON.parse(chat.attributes[GEN_AI.OUTPUT_MESSAGES] as string)[0].parts[0].content).toBe('All good');
    await withContent.telemetry.shutdown();
  });
});

describe('retries', () => {
  it('retries a 429 in new spans, waiting what Retry-After says', async () => {
    faults({ model: GPT, calls: [1, 2], fault: 'rate_limit', retryAfterMs: 40 });
    const started = performance.now();
    const { result, step, attempts, usageCalls, sleeps } = await runStep(request());
    expect(performance.now() - started).toBeGreaterThanOrEqual(80);
    expect(sleeps).toEqual([40, 40]); // the server's wait, not the 10/20 ms backoff
    expect(result).toMatchObject({ text: 'All good', attempts: 3, retries: 2, fallbackUsed: false });
    expect(attempts.map((a) => a.attributes[FLOWTRACE.ATTEMPT])).toEqual([1, 2, 3]);
    for (const failed of attempts.slice(0, 2)) {
      expect(failed.status.code).toBe(SpanStatusCode.ERROR);
      expect(failed.attributes[ERROR_TYPE]).toBe('rate_limit');
      expect(failed.attributes[HTTP_RESPONSE_STATUS_CODE]).toBe(429);
      expect(failed.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBeUndefined();
      expect(parentIdOf(failed)).toBe(spanIdOf(step));
    }
    expect(attempts[2].attributes[ERROR_TYPE]).toBeUndefined();
    expect(attempts.map((a) => a.attributes[FLOWTRACE.RETRY_REASON])).toEqual([undefined, 'rate_limit', 'rate_limit']);
    expect(events(step, FLOWTRACE_EVENT.RETRY)).toEqual([
      { [FLOWTRACE_EVENT_ATTR.ATTEMPT]: 2, [FLOWTRACE_EVENT_ATTR.DELAY_MS]: 40, [FLOWTRACE_EVENT_ATTR.REASON]: 'rate_limit' },
      { [FLOWTRACE_EVENT_ATTR.ATTEMPT]: 3, [FLOWTRACE_EVENT_ATTR.DELAY_MS]: 40, [FLOWTRACE_EVENT_ATTR.REASON]: 'rate_limit' },
    ]);
    expect(usageCalls.map(([u]) => u.input > 0)).toEqual([false, false, true]);
    expect(usageCalls.slice(0, 2).map(([, c]) => c)).toEqual(['0', '0']);
    expect(simulatorCalls(GPT)).toBe(3);
  });

  it('caps a long Retry-After at maxDelayMs', async () => {
    faults({ model: GPT, calls: [1], fault: 'rate_limit', retryAfterMs: 60_000 });
    const { result, sleeps } = await runStep(request({ retry: { maxAttempts: 2, initialDelayMs: 1, backoffFactor: 2, maxDelayMs: 25, jitter: 0 } }));
    expect(sleeps).toEqual([25]);
    expect(result?.attempts).toBe(2);
  });

  it.each([
    ['server_error', 'provider_error', 500],
    ['overloaded', 'overloaded', 529],
    ['unavailable', 'overloaded', 503],
    ['drop', 'network', undefined],
    ['timeout', 'timeout', undefined],
    ['malformed', 'provider_error', undefined],
  ] as const)('retries %s (%s) with exponential backoff', async (fault, reason, status) => {
    faults({ model: GPT, calls: [1, 2], fault, hangMs: 5000 });
    const { result, attempts, sleeps } = await runStep(
      request({ timeoutMs: 300, retry: { maxAttempts: 3, initialDelayMs: 10, backoffFactor: 3, maxDelayMs: 1000, jitter: 0 } }),
    );
    expect(result).toMatchObject({ attempts: 3, retries: 2, text: 'All good' });
    expect(sleeps).toEqual([10, 30]);
    expect(attempts.map((a) => a.attributes[ERROR_TYPE])).toEqual([reason, reason, undefined]);
    expect(attempts[0].attributes[HTTP_RESPONSE_STATUS_CODE]).toBe(status);
  });

  it('retries broken streams', async () => {
    faults({ model: CLAUDE, calls: [1], fault: 'mid_stream_drop' }, { model: CLAUDE, calls: [2], fault: 'empty_stream' });
    const { result, attempts } = await runStep(request({ target: { provider: 'anthropic', model: CLAUDE }, stream: true, prompt: '[[sim:tokens=30]]' }));
    expect(result?.attempts).toBe(3);
    expect(attempts.map((a) => a.attributes[ERROR_TYPE])).toEqual(['network', 'provider_error', undefined]);
  });

  it('adds jitter from the random source', async () => {
    faults({ model: GPT, calls: [1, 2], fault: 'server_error' });
    const { sleeps } = await runStep(request({ retry: { maxAttempts: 3, initialDelayMs: 10, backoffFactor: 2, maxDelayMs: 1000, jitter: 0.5 } }), {
      deps: { random: () => 0.5 },
    });
    expect(sleeps).toEqual([Math.round(10 * 1.25), Math.round(20 * 1.25)]);
  });
});

describe('fallbacks', () => {
  const withFallback = (overrides: Partial<LlmStepRequest> = {}) => request({ fallbacks: [{ provider: 'anthropic', model: CLAUDE }], ...overrides });

  it('moves to Anthropic at once when OpenAI is overloaded, visible as attribute and event', async () => {
    faults({ model: GPT, fault: 'overloaded' });
    const { result, step, attempts } = await runStep(withFallback());
    expect(result).toMatchObject({ provider: 'anthropic', model: CLAUDE, attempts: 2, retries: 0, fallbackUsed: true, text: 'All good' });
    expect(attempts.map((a) => a.name)).toEqual([`chat ${GPT}`, `chat ${CLAUDE}`]);
    expect(attempts[0].attributes[FLOWTRACE.FALLBACK_FROM]).toBeUndefined();
    expect(attempts[1].attributes).toMatchObject({
      [GEN_AI.PROVIDER_NAME]: 'anthropic',
      [FLOWTRACE.ATTEMPT]: 2,
      [FLOWTRACE.FALLBACK_FROM]: `openai/${GPT}`,
      [FLOWTRACE.RETRY_REASON]: 'overloaded',
    });
    expect(events(step, FLOWTRACE_EVENT.FALLBACK)).toEqual([
      { [FLOWTRACE_EVENT_ATTR.FROM]: `openai/${GPT}`, [FLOWTRACE_EVENT_ATTR.TO]: `anthropic/${CLAUDE}`, [FLOWTRACE_EVENT_ATTR.REASON]: 'overloaded' },
    ]);
    expect(events(step, FLOWTRACE_EVENT.RETRY)).toEqual([]);
    expect(simulatorCalls(GPT)).toBe(1);
  });

  it('retries a rate limit first, then falls back', async () => {
    faults({ model: GPT, fault: 'rate_limit', retryAfterMs: 5 });
    const { result, attempts, step } = await runStep(withFallback({ retry: { maxAttempts: 2, initialDelayMs: 5, backoffFactor: 2, maxDelayMs: 100, jitter: 0 } }));
    expect(result).toMatchObject({ provider: 'anthropic', attempts: 3, retries: 1, fallbackUsed: true });
    expect(attempts.map((a) => a.attributes[GEN_AI.PROVIDER_NAME])).toEqual(['openai', 'openai', 'anthropic']);
    expect(events(step, FLOWTRACE_EVENT.RETRY)).toHaveLength(1);
    expect(events(step, FLOWTRACE_EVENT.FALLBACK)).toHaveLength(1);
  });

  it('does not fall back on a request the provider rejects as invalid', async () => {
    const { error, attempts, step } = await runStep(withFallback({ prompt: 'bad directive [[sim:bogus=1]]' }));
    expect(error).toBeInstanceOf(LlmStepError);
    expect((error as LlmStepError).reason).toBe('invalid_request');
    expect((error as Error).message).toMatch(/^llm step failed after 1 attempt\(s\), not retryable: openai: 400 /);
    expect(attempts).toHaveLength(1);
    expect(simulatorCalls(CLAUDE)).toBe(0);
    expect(step.attributes[ERROR_TYPE]).toBe('invalid_request');
    expect(step.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('fails with the last reason when every target fails; the last target is retried', async () => {
    faults({ fault: 'server_error' });
    const { error, attempts } = await runStep(withFallback({ retry: { maxAttempts: 2, initialDelayMs: 1, backoffFactor: 1, maxDelayMs: 5, jitter: 0 } }));
    expect((error as LlmStepError).reason).toBe('provider_error');
    expect((error as LlmStepError).attempts).toBe(3);
    expect((error as Error).message).toContain(`every target failed (openai/${GPT}, anthropic/${CLAUDE})`);
    expect(attempts.map((a) => a.attributes[GEN_AI.PROVIDER_NAME])).toEqual(['openai', 'anthropic', 'anthropic']);
  });

  it('rejects an unknown provider before calling anything', async () => {
    const { error, attempts } = await runStep(request({ fallbacks: [{ provider: 'gemini' as never, model: 'g' }] }));
    expect((error as FlowTraceRunError).reason).toBe('invalid_request');
    expect((error as Error).message).toBe('unknown provider "gemini" (known: openai, anthropic)');
    expect(attempts).toHaveLength(0);
    expect(simulator.stats().calls).toBe(0);
  });
});

describe('cache', () => {
  const cached = (overrides: Partial<LlmStepRequest> = {}) => request({ cache: true, ...overrides });

  it('answers a repeat from disk with no provider call, reporting what it saved', async () => {
    const first = await runStep(cached(), { deps: { cache: new FileResponseCache({ dir: cacheDir }) } });
    expect(first.result?.cacheHit).toBe(false);
    expect(first.step.attributes[FLOWTRACE.CACHE_HIT]).toBeUndefined();
    const callsBefore = simulator.stats().calls;

    // A new cache instance over the same folder: what another process would see.
    const second = await runStep(cached(), { deps: { cache: new FileResponseCache({ dir: cacheDir }) } });
    expect(simulator.stats().calls).toBe(callsBefore);
    expect(second.attempts).toHaveLength(0);
    expect(second.usageCalls).toEqual([]);
    expect(second.result).toEqual({
      text: 'All good',
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
      totalUsage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
      costUsd: '0',
      provider: 'openai',
      model: GPT,
      attempts: 0,
      retries: 0,
      fallbackUsed: false,
      cacheHit: true,
      savedCostUsd: first.result!.costUsd,
    });
    expect(second.step.attributes[FLOWTRACE.CACHE_HIT]).toBe(true);
    const hit = events(second.step, FLOWTRACE_EVENT.CACHE_HIT)[0]!;
    expect(hit).toEqual({
      [FLOWTRACE_EVENT_ATTR.KEY_HASH]: expect.stringMatching(/^[0-9a-f]{64}$/),
      [FLOWTRACE_EVENT_ATTR.SAVED_INPUT_TOKENS]: first.result!.usage.input,
      [FLOWTRACE_EVENT_ATTR.SAVED_OUTPUT_TOKENS]: first.result!.usage.output,
      [FLOWTRACE_EVENT_ATTR.SAVED_COST_USD]: first.result!.costUsd,
    });
    expect(await readdir(join(cacheDir, (hit[FLOWTRACE_EVENT_ATTR.KEY_HASH] as string).slice(0, 2)))).toEqual([
      `${hit[FLOWTRACE_EVENT_ATTR.KEY_HASH]}.json`,
    ]);
  });

  it('misses when inputs or parameters differ, and when the step opts out', async () => {
    const cache = new FileResponseCache({ dir: cacheDir });
    await runStep(cached(), { deps: { cache } });
    expect((await runStep(cached({ inputs: { ticket: 43 } }), { deps: { cache } })).result?.cacheHit).toBe(false);
    expect((await runStep(cached({ temperature: 0.7 }), { deps: { cache } })).result?.cacheHit).toBe(false);
    expect((await runStep(request(), { deps: { cache } })).result?.cacheHit).toBe(false);
    expect(simulatorCalls(GPT)).toBe(4);
  });

  it('never stores a failure', async () => {
    const cache = new FileResponseCache({ dir: cacheDir });
    faults({ model: GPT, calls: [1], fault: 'server_error' });
    const failed = await runStep(cached({ retry: { maxAttempts: 1, initialDelayMs: 1, backoffFactor: 1, maxDelayMs: 1, jitter: 0 } }), { deps: { cache } });
    expect(failed.error).toBeInstanceOf(LlmStepError);
    const next = await runStep(cached(), { deps: { cache } });
    expect(next.result?.cacheHit).toBe(false);
    expect(simulatorCalls(GPT)).toBe(2);
  });

  it('serves an answer a fallback produced, and reports a corrupt entry then calls', async () => {
    const cache = new FileResponseCache({ dir: cacheDir });
    faults({ model: GPT, fault: 'overloaded' });
    const req = cached({ fallbacks: [{ provider: 'anthropic', model: CLAUDE }] });
    await runStep(req, { deps: { cache } });
    const again = await runStep(req, { deps: { cache } });
    expect(again.result).toMatchObject({ cacheHit: true, provider: 'anthropic', model: CLAUDE });

    const key = events(again.step, FLOWTRACE_EVENT.CACHE_HIT)[0]![FLOWTRACE_EVENT_ATTR.KEY_HASH] as string;
    await writeFile(join(cacheDir, key.slice(0, 2), `${key}.json`), 'garbage');
    const afterCorruption = await runStep(req, { deps: { cache } });
    expect(afterCorruption.result?.cacheHit).toBe(false);
    const problem = events(afterCorruption.step, FLOWTRACE_EVENT.CACHE_ERROR)[0]!;
    expect(problem[FLOWTRACE_EVENT_ATTR.KEY_HASH]).toBe(key);
    expect(problem[FLOWTRACE_EVENT_ATTR.REASON]).toMatch(/^not JSON in /);
  });
});

describe('cancellation and budget', () => {
  it('aborts a call in flight', async () => {
    simulator.configure({ latency: { models: { [GPT]: { fixedMs: 5000 } } } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const { error, attempts, step } = await runStep(request(), { signal: controller.signal });
    expect(performance.now() - started).toBeLessThan(2000);
    expect((error as FlowTraceRunError).reason).toBe('cancelled');
    expect(attempts).toHaveLength(1);
    expect(attempts[0].attributes[ERROR_TYPE]).toBe('cancelled');
    expect(step.attributes[ERROR_TYPE]).toBe('cancelled');
  });

  it('aborts during a backoff wait without another attempt', async () => {
    faults({ model: GPT, fault: 'rate_limit', retryAfterMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const { error, attempts } = await runStep(request({ retry: { maxAttempts: 3, initialDelayMs: 1, backoffFactor: 1, maxDelayMs: 10_000, jitter: 0 } }), {
      signal: controller.signal,
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ reason: 'cancelled', message: 'llm step cancelled during backoff' });
    expect(attempts).toHaveLength(1);
    expect(simulatorCalls(GPT)).toBe(1);
  });

  it('stops when onUsage throws, between attempts', async () => {
    faults({ model: GPT, calls: [1], fault: 'server_error' });
    const budget = new FlowTraceRunError('budget_exceeded', 'over budget');
    const { error, attempts, step } = await runStep(request(), {
      onUsage: () => {
        throw budget;
      },
    });
    expect(error).toBe(budget);
    expect(attempts).toHaveLength(1);
    expect(simulatorCalls(GPT)).toBe(1);
    expect(step.attributes[ERROR_TYPE]).toBe('budget_exceeded');
  });

  it('rethrows an onUsage error after a successful call, whose span stays successful', async () => {
    const { error, attempts } = await runStep(request(), {
      onUsage: (u) => {
        if (u.input > 0) throw new FlowTraceRunError('limit_exceeded', 'token limit');
      },
    });
    expect((error as FlowTraceRunError).reason).toBe('limit_exceeded');
    expect(attempts[0].status.code).toBe(SpanStatusCode.UNSET);
  });

  it('rejects a malformed retry policy precisely', async () => {
    const { error } = await runStep(request({ retry: { maxAttempts: 0, initialDelayMs: 1, backoffFactor: 2, maxDelayMs: 5, jitter: 0 } }));
    expect((error as Error).message).toBe('llm step: retry.maxAttempts must be an integer in [1, 100], got 0');
  });
});
