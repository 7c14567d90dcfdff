import { describe, expect, it } from 'vitest';
import { tokens, useSimulatorHarness } from './test-support.ts';

const h = useSimulatorHarness();

const SYSTEM = 'You are a terse analyst.';
const USER = 'Summarise the quarterly report in one sentence.';
const basic = { model: 'gpt-4o-mini', messages: [{ role: 'system' as const, content: SYSTEM }, { role: 'user' as const, content: USER }] };

describe('OpenAI chat completions (non-streaming)', () => {
  it('answers deterministically with usage derived from the texts', async () => {
    const first = await h.openai.chat.completions.create(basic);
    const second = await h.openai.chat.completions.create(basic);
    const text = first.choices[0].message.content!;
    expect(text.length).toBeGreaterThan(10);
    expect(second.choices[0].message.content).toBe(text);
    expect(first.model).toBe('gpt-4o-mini');
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(first.id).not.toBe(second.id);
    expect(first._request_id).toMatch(/^req_/);
    expect(first.choices[0].finish_reason).toBe('stop');
    const prompt = tokens(SYSTEM) + tokens(USER);
    expect(first.usage).toMatchObject({
      prompt_tokens: prompt,
      completion_tokens: tokens(text),
      total_tokens: prompt + tokens(text),
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('counts every text part of array content', async () => {
    const parts = ['First part of the question.', 'Second, longer part of the same question.'];
    const r = await h.openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: parts.map((text) => ({ type: 'text' as const, text })) }],
    });
    expect(r.usage!.prompt_tokens).toBe(tokens(parts[0]) + tokens(parts[1]));
  });

  it('follows answer, choose and tokens directives', async () => {
    const ask = (content: string) => h.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
    expect((await ask('Route this: [[sim:answer=deep]]')).choices[0].message.content).toBe('deep');
    const options = ['alpha', 'beta', 'gamma'];
    const chosen = (await ask('Pick a branch [[sim:choose=alpha|beta|gamma]]')).choices[0].message.content!;
    expect(options).toContain(chosen);
    expect((await ask('Pick a branch [[sim:choose=alpha|beta|gamma]]')).choices[0].message.content).toBe(chosen);
    const sized = await ask('Write at length [[sim:tokens=40]]');
    expect(sized.choices[0].message.content).toHaveLength(160);
    expect(sized.usage!.completion_tokens).toBe(40);
  });

  it('answers JSON when response_format or the prompt asks for it', async () => {
    const byFormat = await h.openai.chat.completions.create({ ...basic, response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(byFormat.choices[0].message.content!).answer).toBe('string');
    const byPrompt = await h.openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Classify this ticket. Reply in JSON. [[sim:choose=billing|outage]]' }],
    });
    expect(['billing', 'outage']).toContain(JSON.parse(byPrompt.choices[0].message.content!).answer);
  });

  it('cuts the answer at max_completion_tokens with finish_reason "length"', async () => {
    const r = await h.openai.chat.completions.create({
      model: 'gpt-4o',
      max_completion_tokens: 10,
      messages: [{ role: 'user', content: 'Go on [[sim:tokens=100]]' }],
    });
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.choices[0].message.content).toHaveLength(40);
    expect(r.usage!.completion_tokens).toBe(10);
  });

  it('reports reasoning tokens, inside completion_tokens, for reasoning models only', async () => {
    const content = 'Think hard about this [[sim:reasoning=120]]';
    const o3 = await h.openai.chat.completions.create({ model: 'o3-mini', messages: [{ role: 'user', content }] });
    expect(o3.usage!.completion_tokens_details!.reasoning_tokens).toBe(120);
    expect(o3.usage!.completion_tokens).toBe(tokens(o3.choices[0].message.content!) + 120);

    const gpt5 = await h.openai.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: USER }] });
    const reasoning = gpt5.usage!.completion_tokens_details!.reasoning_tokens!;
    expect(reasoning).toBeGreaterThan(0);
    expect(gpt5.usage!.completion_tokens).toBe(tokens(gpt5.choices[0].message.content!) + reasoning);

    const plain = await h.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
    expect(plain.usage!.completion_tokens_details!.reasoning_tokens).toBe(0);

    h.simulator.configure({ reasoningModels: ['my-thinker'] });
    const custom = await h.openai.chat.completions.create({ model: 'my-thinker', messages: [{ role: 'user', content }] });
    expect(custom.usage!.completion_tokens_details!.reasoning_tokens).toBe(120);
  });
});

describe('OpenAI automatic prompt caching', () => {
  const longSystem = 'Policy: answer with care and cite sources. '.repeat(110); // > 1024 tokens
  const ask = (model: string, system: string, user: string) =>
    h.openai.chat.completions.create({ model, messages: [{ role: 'system', content: system }, { role: 'user', content: user }] });

  it('reports a repeated prefix of at least 1024 tokens as cached_tokens', async () => {
    expect(tokens(longSystem)).toBeGreaterThanOrEqual(1024);
    const first = await ask('gpt-4o', longSystem, 'Question one?');
    expect(first.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    const second = await ask('gpt-4o', longSystem, 'A different question two?');
    expect(second.usage!.prompt_tokens_details!.cached_tokens).toBe(tokens(longSystem));
    expect(second.usage!.prompt_tokens).toBe(tokens(longSystem) + tokens('A different question two?'));
    // The whole previous prompt is a prefix now.
    const third = await ask('gpt-4o', longSystem, 'Question one?');
    expect(third.usage!.prompt_tokens_details!.cached_tokens).toBe(tokens(longSystem) + tokens('Question one?'));
    // Caches are per model.
    const other = await ask('gpt-4.1', longSystem, 'Question one?');
    expect(other.usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });

  it('does not cache short prefixes unless configured, and forgets on reset', async () => {
    await ask('gpt-4o', SYSTEM, 'one');
    expect((await ask('gpt-4o', SYSTEM, 'two')).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    // Prefixes below the minimum were never stored; from now on they are.
    h.simulator.configure({ cache: { openaiMinPrefixTokens: 1 } });
    expect((await ask('gpt-4o', SYSTEM, 'three')).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
    expect((await ask('gpt-4o', SYSTEM, 'four')).usage!.prompt_tokens_details!.cached_tokens).toBe(tokens(SYSTEM));
    h.simulator.reset();
    expect((await ask('gpt-4o', SYSTEM, 'five')).usage!.prompt_tokens_details!.cached_tokens).toBe(0);
  });
});

describe('OpenAI chat completions (streaming)', () => {
  it('streams the same answer and, with include_usage, a final usage chunk', async () => {
    const whole = await h.openai.chat.completions.create(basic);
    const stream = await h.openai.chat.completions.create({ ...basic, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(whole.choices[0].message.content);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.length).toBeGreaterThan(4);
  });

  it('sends no usage without include_usage', async () => {
    const stream = await h.openai.chat.completions.create({ ...basic, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it('streams reasoning usage for reasoning models', async () => {
    const stream = await h.openai.chat.completions.create({
      model: 'o4-mini',
      messages: [{ role: 'user', content: 'Why? [[sim:reasoning=64]]' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(usage!.completion_tokens_details!.reasoning_tokens).toBe(64);
    expect(usage!.completion_tokens).toBe(tokens(text) + 64);
  });
});
