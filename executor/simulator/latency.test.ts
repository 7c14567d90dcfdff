import { describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { useSimulatorHarness } from './test-support.ts';

const h = useSimulatorHarness(
  {
    latency: {
      models: {
        'slow-*': { fixedMs: 2000 },
        'slow-tokens': { perTokenMs: 5 },
        'slow-stream': { fixedMs: 150, perTokenMs: 4 },
      },
    },
  },
  'nothing',
);

async function timed<T>(call: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await call();
  return [result, performance.now() - started];
}
const ask = (model: string, content: string, options?: OpenAI.RequestOptions) =>
  h.openai.chat.completions.create({ model, messages: [{ role: 'user', content }] }, options);

describe('simulated latency', () => {
  it('waits the fixed delay of the matching glob', async () => {
    const [, elapsed] = await timed(() => ask('slow-fixed', 'hi'));
    expect(elapsed).toBeGreaterThanOrEqual(1990);
  });

  it('an exact model entry wins over a glob and adds a delay per output token', async () => {
    const [r, elapsed] = await timed(() => ask('slow-tokens', 'Go [[sim:tokens=40]]'));
    expect(r.usage!.completion_tokens).toBe(40);
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1500);
  });

  it('streams: the fixed delay before the first token, the per-token delay spread over the chunks', async () => {
    const started = performance.now();
    const stream = await h.openai.chat.completions.create({
      model: 'slow-stream',
      messages: [{ role: 'user', content: 'Tell me [[sim:tokens=50]]' }],
      stream: true,
    });
    const arrivals: number[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) arrivals.push(performance.now() - started);
    expect(arrivals.length).toBeGreaterThan(5);
    expect(arrivals[0]).toBeGreaterThanOrEqual(145);
    expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThanOrEqual(150);
    expect(arrivals[arrivals.length - 1]).toBeGreaterThanOrEqual(340);
  });

  it('a client giving up during the delay does not disturb the server', async () => {
    await expect(ask('slow-fixed', 'hi', { timeout: 100 })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await expect(ask('fast', 'hi')).resolves.toBeTruthy();
  });

  it('zero latency answers without any timer, streaming or not', async () => {
    // With setTimeout frozen, only a response written synchronously by the handler can arrive.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      for (let i = 0; i < 10; i++) {
        await ask('fast', `question ${i}`);
        const stream = await h.openai.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: `q${i}` }], stream: true });
        for await (const _chunk of stream);
        await h.anthropic.messages.stream({ model: 'fast', max_tokens: 99, messages: [{ role: 'user', content: `q${i}` }] }).finalMessage();
      }
    } finally {
      vi.useRealTimers();
    }
  }, 15_000);
});
