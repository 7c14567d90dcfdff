import { describe, expect, it } from 'vitest';
import Anthropic, { type APIError as AnthropicAPIError, type RateLimitError as AnthropicRateLimitError } from '@anthropic-ai/sdk';
import OpenAI, { type APIError as OpenAIAPIError, type RateLimitError as OpenAIRateLimitError } from 'openai';
import type { SimulatorConfig } from './config.ts';
import { startHarness, useSimulatorHarness } from './test-support.ts';

const h = useSimulatorHarness({}, 'counters');

const GPT = 'gpt-4o-mini';
const CLAUDE = 'claude-haiku-5';
const chat = (model = GPT, client = h.openai) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello?' }] });
const message = (model = CLAUDE, client = h.anthropic) =>
  client.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Hello?' }] });
const chatStream = async (model = GPT) => {
  const stream = await h.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello?' }], stream: true });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
};
const messageStream = (model = CLAUDE) =>
  h.anthropic.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Hello?' }] }).finalMessage();
/** The rejection of a call that must fail. */
const failure = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
const faultAll = (fault: SimulatorConfig['faults']) => h.simulator.configure({ faults: fault });

describe('HTTP error faults surface as the SDK error classes', () => {
  it('rate_limit: 429 with retry-after and retry-after-ms', async () => {
    faultAll([{ fault: 'rate_limit', retryAfterMs: 2500 }]);
    const o = (await failure(chat())) as OpenAIRateLimitError;
    expect(o).toBeInstanceOf(OpenAI.RateLimitError);
    expect(o.status).toBe(429);
    expect(o.headers?.get('retry-after')).toBe('3');
    expect(o.headers?.get('retry-after-ms')).toBe('2500');
    expect(o.code).toBe('rate_limit_exceeded');
    expect(o.requestID).toMatch(/^req_/);

    const a = (await failure(message())) as AnthropicRateLimitError;
    expect(a).toBeInstanceOf(Anthropic.RateLimitError);
    expect(a.type).toBe('rate_limit_error');
    expect(a.headers?.get('retry-after')).toBe('3');
    expect(a.requestID).toMatch(/^req_/);
    expect((a.error as { request_id: string }).request_id).toBe(a.requestID);
  });

  it.each([
    ['server_error', 500, OpenAI.InternalServerError, Anthropic.InternalServerError, 'api_error'],
    ['unavailable', 503, OpenAI.InternalServerError, Anthropic.ServiceUnavailableError, 'api_error'],
    ['overloaded', 529, OpenAI.InternalServerError, Anthropic.OverloadedError, 'overloaded_error'],
  ] as const)('%s: %i', async (fault, status, openaiClass, anthropicClass, anthropicType) => {
    faultAll([{ fault }]);
    const o = (await failure(chat())) as OpenAIAPIError;
    expect(o).toBeInstanceOf(openaiClass);
    expect(o.status).toBe(status);
    expect(o.type).toBe('server_error');
    const a = (await failure(message())) as AnthropicAPIError;
    expect(a).toBeInstanceOf(anthropicClass);
    expect(a).toBeInstanceOf(Anthropic.InternalServerError);
    expect(a.status).toBe(status);
    expect(a.type).toBe(anthropicType);
  });
});

describe('connection faults', () => {
  it('timeout: the request hangs until the client gives up', async () => {
    faultAll([{ fault: 'timeout' }]);
    const started = Date.now();
    const o = await failure(h.openai.chat.completions.create({ model: GPT, messages: [{ role: 'user', content: 'x' }] }, { timeout: 300 }));
    expect(o).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const a = await failure(h.anthropic.messages.create({ model: CLAUDE, max_tokens: 9, messages: [{ role: 'user', content: 'x' }] }, { timeout: 300 }));
    expect(a).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('timeout: the hang is bounded by hangMs, then the connection closes', async () => {
    faultAll([{ fault: 'timeout', hangMs: 200 }]);
    const started = Date.now();
    const o = await failure(chat());
    expect(o).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(o).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('drop: the socket is destroyed before a response, streaming or not', async () => {
    faultAll([{ fault: 'drop' }]);
    expect(await failure(chat())).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await failure(message())).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(await failure(h.openai.chat.completions.create({ model: GPT, messages: [{ role: 'user', content: 'x' }], stream: true }))).toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    expect(await failure(messageStream())).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('stop() ends hanging requests at once', async () => {
    const own = await startHarness({ faults: [{ fault: 'timeout' }] });
    const pending = failure(own.openai.chat.completions.create({ model: GPT, messages: [{ role: 'user', content: 'x' }] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.stop();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('body faults', () => {
  it('malformed: a 200 whose JSON is cut, streaming or not', async () => {
    faultAll([{ fault: 'malformed' }]);
    expect(await failure(chat())).toBeInstanceOf(SyntaxError);
    expect(await failure(message())).toBeInstanceOf(SyntaxError);
    const { chunks, error } = await chatStream();
    expect(chunks).toHaveLength(0);
    expect(error).toBeInstanceOf(SyntaxError);
    expect(await failure(messageStream())).toBeInstanceOf(Anthropic.AnthropicError);
  });

  it('empty_stream: a stream without events; non-streaming calls are not affected', async () => {
    faultAll([{ fault: 'empty_stream' }]);
    const { chunks, error } = await chatStream();
    expect(error).toBeUndefined();
    expect(chunks).toHaveLength(0);
    const a = (await failure(messageStream())) as Error;
    expect(a).toBeInstanceOf(Anthropic.AnthropicError);
    expect(a.message).toMatch(/without sending any chunks/);
    expect((await chat()).choices[0].message.content).toBeTruthy();
    const stats = h.simulator.stats();
    expect(stats.models[GPT]).toMatchObject({ calls: 2, succeeded: 1, faults: { empty_stream: 1 } });
  });

  it('mid_stream_error: content, then the provider error event', async () => {
    faultAll([{ fault: 'mid_stream_error' }]);
    const { chunks, error } = await chatStream();
    expect(chunks.some((c) => (c.choices[0]?.delta.content ?? '').length > 0)).toBe(true);
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as OpenAIAPIError).status).toBeUndefined();

    const texts: string[] = [];
    const stream = h.anthropic.messages.stream({ model: CLAUDE, max_tokens: 256, messages: [{ role: 'user', content: 'Hello?' }] });
    stream.on('text', (t) => texts.push(t));
    const a = (await failure(stream.finalMessage())) as AnthropicAPIError;
    expect(texts.length).toBeGreaterThan(0);
    expect(a).toBeInstanceOf(Anthropic.APIError);
    expect(a.status).toBeUndefined();
    expect(a.type).toBe('overloaded_error');
  });

  it('mid_stream_drop: content, then the connection is cut', async () => {
    faultAll([{ fault: 'mid_stream_drop' }]);
    const { chunks, error } = await chatStream();
    expect(chunks.length).toBeGreaterThan(1);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('terminated');
    expect(await failure(messageStream())).toBeInstanceOf(Anthropic.AnthropicError);
  });
});

describe('rule selection', () => {
  it('fails chosen call numbers of one model only', async () => {
    faultAll([{ model: GPT, calls: [1, 2], fault: 'rate_limit' }]);
    expect(await failure(chat())).toBeInstanceOf(OpenAI.RateLimitError);
    expect((await chat('gpt-4.1')).choices).toHaveLength(1);
    expect(await failure(chat())).toBeInstanceOf(OpenAI.RateLimitError);
    const third = await chat().withResponse();
    expect(third.response.headers.get('x-simulator-call')).toBe('3');
    h.simulator.reset();
    expect(await failure(chat())).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('matches model globs and providers; the first matching rule wins', async () => {
    faultAll([
      { model: 'claude-*', provider: 'anthropic', calls: [1], fault: 'overloaded' },
      { model: 'claude-*', fault: 'server_error' },
    ]);
    expect(await failure(message())).toBeInstanceOf(Anthropic.OverloadedError);
    expect(await failure(message())).toBeInstanceOf(Anthropic.InternalServerError);
    expect(await failure(message())).not.toBeInstanceOf(Anthropic.OverloadedError);
    expect((await chat()).choices).toHaveLength(1);
    // The openai API with a claude-named model matches the provider-less rule only (call 4 of that model).
    expect(await failure(chat('claude-haiku-5'))).toBeInstanceOf(OpenAI.InternalServerError);
  });

  /** Outcome per call number: 'ok' or the HTTP status. */
  async function outcomes(model: string, calls: number, interleave?: string): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < calls; i++) {
      if (interleave && i % 3 === 0) await chat(interleave).catch(() => undefined);
      out.push(await chat(model).then(() => 'ok', (e: OpenAIAPIError) => String(e.status)));
    }
    return out;
  }

  it('a seeded random rate is reproducible and independent of other traffic', async () => {
    const config = (seed: number): SimulatorConfig => ({ seed, faults: [{ model: 'gpt-*', rate: 0.3, fault: ['rate_limit', 'server_error'] }] });
    h.simulator.configure(config(42));
    const first = await outcomes(GPT, 80);
    h.simulator.reset();
    const again = await outcomes(GPT, 80, 'gpt-4.1');
    expect(again).toEqual(first);

    const failed = first.filter((o) => o !== 'ok').length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(40);
    expect(new Set(first)).toEqual(new Set(['ok', '429', '500']));

    h.simulator.configure(config(43));
    h.simulator.reset();
    expect(await outcomes(GPT, 80)).not.toEqual(first);
  });
});

describe('statistics', () => {
  it('counts calls, faults and the usage reported to clients', async () => {
    faultAll([{ model: GPT, calls: [2], fault: 'server_error' }, { model: CLAUDE, calls: [1], fault: 'rate_limit' }]);
    const ok1 = await chat();
    await failure(chat());
    const ok3 = await chat();
    await failure(message());
    const m = await message();
    const stats = h.simulator.stats();
    expect(stats).toMatchObject({ calls: 5, succeeded: 3, faults: 2, faultsByKind: { server_error: 1, rate_limit: 1 } });
    expect(stats.models[GPT]).toMatchObject({
      provider: 'openai',
      calls: 3,
      succeeded: 2,
      faults: { server_error: 1 },
      usage: {
        inputTokens: ok1.usage!.prompt_tokens + ok3.usage!.prompt_tokens,
        outputTokens: ok1.usage!.completion_tokens + ok3.usage!.completion_tokens,
      },
    });
    expect(stats.models[CLAUDE]).toMatchObject({
      provider: 'anthropic',
      calls: 2,
      succeeded: 1,
      faults: { rate_limit: 1 },
      usage: { inputTokens: m.usage.input_tokens, outputTokens: m.usage.output_tokens },
    });
  });
});
