import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderSimulator, type SimulatorAddress } from '../simulator/index.ts';
import { ProviderCallError, anthropicUsage, createProviders, openAiUsage, type ProviderRegistry } from './index.ts';

// The simulator's documented tokenizer, written out so expectations are computed independently.
const tokens = (text: string) => Math.ceil(text.length / 4);
const never = new AbortController().signal;

let simulator: ProviderSimulator;
let address: SimulatorAddress;
let providers: ProviderRegistry;

beforeAll(async () => {
  simulator = new ProviderSimulator();
  address = await simulator.start();
  providers = createProviders(
    {
      openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' },
      anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test', cacheSystemPrompt: true },
    },
    {},
  );
});
afterAll(() => simulator.stop());
beforeEach(() => {
  simulator.configure({});
  simulator.reset();
});

async function failure(promise: Promise<unknown>): Promise<ProviderCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderCallError);
  return err as ProviderCallError;
}

describe.each([false, true])('completions (stream=%s)', (stream) => {
  it('openai: text, ids and usage', async () => {
    const system = 'You answer in one line.';
    const prompt = 'Say hello. [[sim:answer=Hello there, friend]]';
    const res = await providers.get('openai').complete({ model: 'gpt-4o-mini', system, prompt, stream }, never);
    expect(res.text).toBe('Hello there, friend');
    expect(res.finishReasons).toEqual(['stop']);
    expect(res.responseModel).toBe('gpt-4o-mini');
    expect(res.responseId).not.toBe('');
    expect(res.usage).toEqual({ input: tokens(system) + tokens(prompt), output: tokens('Hello there, friend'), cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    if (stream) {
      expect(res.chunks).toBeGreaterThan(2);
      expect(res.timeToFirstChunkMs).toBeGreaterThanOrEqual(0);
    } else expect(res.chunks).toBeUndefined();
  });

  it('anthropic: text, ids and usage', async () => {
    const prompt = 'Greet me. [[sim:answer=Hi from Claude]]';
    const res = await providers.get('anthropic').complete({ model: 'claude-sonnet-4-20250514', prompt, stream }, never);
    expect(res.text).toBe('Hi from Claude');
    expect(res.finishReasons).toEqual(['end_turn']);
    expect(res.usage).toEqual({ input: tokens(prompt), output: tokens('Hi from Claude'), cacheRead: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('openai: cached prompt tokens stay inside input, reasoning inside output', async () => {
    simulator.configure({ cache: { openaiMinPrefixTokens: 8 } });
    const system = 'A long shared instruction block that repeats across calls, '.repeat(4);
    const client = providers.get('openai');
    const first = await client.complete({ model: 'gpt-5-mini', system, prompt: 'one [[sim:answer=A]] [[sim:reasoning=40]]', stream }, never);
    const prompt = 'two [[sim:answer=B]] [[sim:reasoning=40]]';
    const second = await client.complete({ model: 'gpt-5-mini', system, prompt, stream }, never);
    expect(first.usage.cacheRead).toBe(0);
    expect(second.usage).toEqual({
      input: tokens(system) + tokens(prompt),
      cacheRead: tokens(system),
      cacheWrite: 0,
      output: tokens('B') + 40,
      reasoning: 40,
    });
  });

  it('anthropic: cache reads and writes are added to input_tokens', async () => {
    const system = 'Policy text that is marked as a cache breakpoint. '.repeat(3);
    const client = providers.get('anthropic');
    const p1 = 'first [[sim:answer=x]]';
    const p2 = 'second [[sim:answer=y]]';
    const first = await client.complete({ model: 'claude-sonnet-4-20250514', system, prompt: p1, stream }, never);
    const second = await client.complete({ model: 'claude-sonnet-4-20250514', system, prompt: p2, stream }, never);
    expect(first.usage).toEqual({ input: tokens(system) + tokens(p1), cacheWrite: tokens(system), cacheRead: 0, output: 1, reasoning: 0 });
    expect(second.usage).toEqual({ input: tokens(system) + tokens(p2), cacheWrite: 0, cacheRead: tokens(system), output: 1, reasoning: 0 });
  });
});

describe('usage arithmetic on SDK shapes', () => {
  it('openai prompt_tokens already include cached tokens', () => {
    expect(
      openAiUsage({
        prompt_tokens: 2006,
        completion_tokens: 300,
        total_tokens: 2306,
        prompt_tokens_details: { cached_tokens: 1920 },
        completion_tokens_details: { reasoning_tokens: 256 },
      }),
    ).toEqual({ input: 2006, output: 300, cacheRead: 1920, cacheWrite: 0, reasoning: 256 });
  });

  it('anthropic input_tokens exclude cache reads and creations', () => {
    expect(
      anthropicUsage({ input_tokens: 21, output_tokens: 393, cache_read_input_tokens: 188086, cache_creation_input_tokens: 1000, output_tokens_details: { thinking_tokens: 200 } }),
    ).toEqual({ input: 21 + 188086 + 1000, output: 393, cacheRead: 188086, cacheWrite: 1000, reasoning: 200 });
  });
});

describe('failures are classified', () => {
  const cases: Array<[string, object, Partial<ProviderCallError>]> = [
    ['rate_limit', { fault: 'rate_limit', retryAfterMs: 1500 }, { reason: 'rate_limit', status: 429, transient: true, retryAfterMs: 1500 }],
    ['server_error', { fault: 'server_error' }, { reason: 'provider_error', status: 500, transient: true }],
    ['unavailable', { fault: 'unavailable' }, { reason: 'overloaded', status: 503, transient: true }],
    ['overloaded', { fault: 'overloaded' }, { reason: 'overloaded', status: 529, transient: true }],
    ['drop', { fault: 'drop' }, { reason: 'network', transient: true }],
    ['malformed', { fault: 'malformed' }, { reason: 'provider_error', transient: true }],
  ];
  for (const provider of ['openai', 'anthropic'] as const) {
    for (const [name, rule, expected] of cases) {
      it(`${provider}: ${name}`, async () => {
        simulator.configure({ faults: [{ ...rule, calls: [1] } as never] });
        const err = await failure(providers.get(provider).complete({ model: 'm-1', prompt: 'hi' }, never));
        expect(err).toMatchObject({ provider, ...expected });
        expect(err.message.startsWith(`${provider}: `)).toBe(true);
      });
    }
    for (const fault of ['empty_stream', 'mid_stream_error', 'mid_stream_drop', 'malformed'] as const) {
      it(`${provider}: streamed ${fault} never hangs and is transient`, async () => {
        simulator.configure({ faults: [{ fault, calls: [1] }] });
        const err = await failure(providers.get(provider).complete({ model: 'm-2', prompt: '[[sim:tokens=40]]', stream: true }, never));
        expect(err.transient).toBe(true);
        expect(['provider_error', 'network', 'overloaded']).toContain(err.reason);
      });
    }

    it(`${provider}: a hanging call times out at its deadline`, async () => {
      simulator.configure({ faults: [{ fault: 'timeout', hangMs: 5000, calls: [1] }] });
      const started = Date.now();
      const err = await failure(providers.get(provider).complete({ model: 'm-3', prompt: 'hi', timeoutMs: 150 }, never));
      expect(err).toMatchObject({ reason: 'timeout', transient: true });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it(`${provider}: a slow stream is cut at the deadline too`, async () => {
      simulator.configure({ latency: { default: { perTokenMs: 20 } } });
      const err = await failure(providers.get(provider).complete({ model: 'm-4', prompt: '[[sim:tokens=200]]', stream: true, timeoutMs: 300 }, never));
      expect(err.reason).toBe('timeout');
    });

    it(`${provider}: cancelling mid-stream is reported as cancelled, not as a short answer`, async () => {
      simulator.configure({ latency: { default: { perTokenMs: 20 } } });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const err = await failure(providers.get(provider).complete({ model: 'm-5', prompt: '[[sim:tokens=200]]', stream: true }, controller.signal));
      expect(err).toMatchObject({ reason: 'cancelled', transient: false });
    });

    it(`${provider}: a bad request is not transient`, async () => {
      const err = await failure(providers.get(provider).complete({ model: 'm-6', prompt: '[[sim:bogus=1]]' }, never));
      expect(err).toMatchObject({ reason: 'invalid_request', status: 400, transient: false });
    });
  }

  it('a missing API key is an auth error naming the variable', async () => {
    const keyless = createProviders({ openai: { baseUrl: address.openaiBaseUrl } }, {});
    const err = await failure(keyless.get('openai').complete({ model: 'gpt-4o', prompt: 'hi' }, never));
    expect(err).toMatchObject({ reason: 'auth', transient: false });
    expect(err.message).toBe('openai: no API key: set OPENAI_API_KEY or providers.openai.apiKey');
  });

  it('base URLs and keys come from the environment when not configured', async () => {
    const fromEnv = createProviders({}, { ANTHROPIC_BASE_URL: address.anthropicBaseUrl, ANTHROPIC_API_KEY: 'k' });
    const res = await fromEnv.get('anthropic').complete({ model: 'claude-x', prompt: '[[sim:answer=env]]' }, never);
    expect(res.text).toBe('env');
    expect(fromEnv.get('anthropic').server).toEqual({ address: '127.0.0.1', port: address.port });
  });

  it('leaves no listener on a long-lived caller signal', async () => {
    const run = new AbortController();
    for (const provider of ['openai', 'anthropic'] as const) {
      for (let i = 0; i < 12; i++) await providers.get(provider).complete({ model: 'm-7', prompt: 'hi', stream: i % 2 === 0 }, run.signal);
    }
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });

  it('an unknown provider or a bad base URL is a precise error', () => {
    expect(() => providers.get('mistral')).toThrow('unknown provider "mistral" (known: openai, anthropic)');
    expect(() => createProviders({ openai: { baseUrl: 'nope' } }, {})).toThrow('providers.openai.baseUrl: not a URL: "nope"');
  });
});
