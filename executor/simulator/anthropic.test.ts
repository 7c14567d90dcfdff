import { describe, expect, it } from 'vitest';
import type Anthropic from '@anthropic-ai/sdk';
import { BadRequestError } from '@anthropic-ai/sdk';
import { tokens, useSimulatorHarness } from './test-support.ts';

const h = useSimulatorHarness();

const SYSTEM = 'You are a careful research assistant.';
const USER = 'List the two main risks in the plan.';
const basic = { model: 'claude-sonnet-5-5', max_tokens: 512, system: SYSTEM, messages: [{ role: 'user' as const, content: USER }] };
const textOf = (m: Anthropic.Message) => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

describe('Anthropic messages (non-streaming)', () => {
  it('answers deterministically with usage derived from the texts', async () => {
    const first = await h.anthropic.messages.create(basic);
    const second = await h.anthropic.messages.create(basic);
    expect(textOf(second)).toBe(textOf(first));
    expect(first.id).toMatch(/^msg_/);
    expect(first._request_id).toMatch(/^req_/);
    expect(first.stop_reason).toBe('end_turn');
    expect(first.model).toBe('claude-sonnet-5-5');
    expect(first.usage).toMatchObject({
      input_tokens: tokens(SYSTEM) + tokens(USER),
      output_tokens: tokens(textOf(first)),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  it('honours max_tokens with stop_reason "max_tokens"', async () => {
    const m = await h.anthropic.messages.create({ ...basic, max_tokens: 5, messages: [{ role: 'user', content: 'More [[sim:tokens=50]]' }] });
    expect(m.stop_reason).toBe('max_tokens');
    expect(m.usage.output_tokens).toBe(5);
    expect(textOf(m)).toHaveLength(20);
  });

  it('answers JSON when output_config.format or the prompt asks for it', async () => {
    const m = await h.anthropic.messages.create({ ...basic, system: 'Always respond with JSON.' });
    expect(typeof JSON.parse(textOf(m)).answer).toBe('string');
    const byFormat = await h.anthropic.messages.create({
      ...basic,
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { answer: { type: 'string' } } } } },
    });
    expect(typeof JSON.parse(textOf(byFormat)).answer).toBe('string');
  });

  it('reports thinking tokens inside output_tokens when thinking is enabled', async () => {
    const content = 'Decide carefully [[sim:reasoning=300]]';
    const thinking = await h.anthropic.messages.create({
      ...basic,
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content }],
    });
    expect(thinking.usage.output_tokens_details?.thinking_tokens).toBe(300);
    expect(thinking.usage.output_tokens).toBe(tokens(textOf(thinking)) + 300);
    const plain = await h.anthropic.messages.create({ ...basic, messages: [{ role: 'user', content }] });
    expect(plain.usage.output_tokens_details).toBeNull();
    expect(plain.usage.output_tokens).toBe(tokens(textOf(plain)));
  });

  it('rejects a request without max_tokens with a precise 400', async () => {
    const { max_tokens: _omit, ...withoutMax } = basic;
    const err = await h.anthropic.messages.create(withoutMax as typeof basic).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).type).toBe('invalid_request_error');
    expect((err as BadRequestError).message).toContain('`max_tokens` is required');
  });
});

describe('Anthropic prompt caching', () => {
  const longSystem = 'You follow the style guide exactly. '.repeat(40);
  const cachedSystem = [{ type: 'text' as const, text: longSystem, cache_control: { type: 'ephemeral' as const } }];

  it('writes a marked system prompt the first time and reads it afterwards', async () => {
    const first = await h.anthropic.messages.create({ ...basic, system: cachedSystem, messages: [{ role: 'user', content: 'Question A' }] });
    expect(first.usage).toMatchObject({
      cache_creation_input_tokens: tokens(longSystem),
      cache_read_input_tokens: 0,
      input_tokens: tokens('Question A'),
    });
    const second = await h.anthropic.messages.create({ ...basic, system: cachedSystem, messages: [{ role: 'user', content: 'Question B, longer' }] });
    expect(second.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: tokens(longSystem),
      input_tokens: tokens('Question B, longer'),
    });
  });

  it('does not cache without cache_control', async () => {
    for (let i = 0; i < 2; i++) {
      const m = await h.anthropic.messages.create({ ...basic, system: longSystem });
      expect(m.usage.cache_creation_input_tokens).toBe(0);
      expect(m.usage.cache_read_input_tokens).toBe(0);
      expect(m.usage.input_tokens).toBe(tokens(longSystem) + tokens(USER));
    }
  });

  it('with top-level cache_control, a growing conversation reads the previous turn', async () => {
    const turn1 = [{ role: 'user' as const, content: 'Hello there, first turn.' }];
    const first = await h.anthropic.messages.create({ ...basic, cache_control: { type: 'ephemeral' }, messages: turn1 });
    const total1 = tokens(SYSTEM) + tokens(turn1[0].content);
    expect(first.usage).toMatchObject({ cache_creation_input_tokens: total1, cache_read_input_tokens: 0, input_tokens: 0 });
    const turn2 = [...turn1, { role: 'assistant' as const, content: textOf(first) }, { role: 'user' as const, content: 'And the second?' }];
    const second = await h.anthropic.messages.create({ ...basic, cache_control: { type: 'ephemeral' }, messages: turn2 });
    const total2 = total1 + tokens(textOf(first)) + tokens('And the second?');
    expect(second.usage).toMatchObject({ cache_read_input_tokens: total1, cache_creation_input_tokens: total2 - total1, input_tokens: 0 });
  });

  it('respects a configured minimum cacheable size', async () => {
    h.simulator.configure({ cache: { anthropicMinPrefixTokens: tokens(longSystem) + 1 } });
    const m = await h.anthropic.messages.create({ ...basic, system: cachedSystem });
    expect(m.usage.cache_creation_input_tokens).toBe(0);
    expect(m.usage.input_tokens).toBe(tokens(longSystem) + tokens(USER));
  });
});

describe('Anthropic messages (streaming)', () => {
  it('streams events in the documented order; the final message equals the non-streamed one', async () => {
    const whole = await h.anthropic.messages.create(basic);
    const stream = await h.anthropic.messages.create({ ...basic, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toBe(textOf(whole));
    const deltas = types.filter((t) => t === 'content_block_delta').length;
    expect(deltas).toBeGreaterThan(3);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array(deltas).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const final = await h.anthropic.messages.stream(basic).finalMessage();
    expect(textOf(final)).toBe(textOf(whole));
    expect(final.usage).toMatchObject({
      input_tokens: whole.usage.input_tokens,
      output_tokens: whole.usage.output_tokens,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it('carries cache and thinking usage through the stream', async () => {
    const system = [{ type: 'text' as const, text: 'Cached streaming system prompt. '.repeat(20), cache_control: { type: 'ephemeral' as const } }];
    const request = { ...basic, system, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, max_tokens: 4096, messages: [{ role: 'user' as const, content: 'Go [[sim:reasoning=77]]' }] };
    await h.anthropic.messages.create(request);
    const final = await h.anthropic.messages.stream(request).finalMessage();
    expect(final.usage.cache_read_input_tokens).toBe(tokens(system[0].text));
    expect(final.usage.cache_creation_input_tokens).toBe(0);
    expect(final.usage.output_tokens).toBe(tokens(textOf(final)) + 77);
  });

  it('puts an event: line on every SSE message', async () => {
    const res = await fetch(`${h.address.anthropicBaseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ ...basic, stream: true }),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const messages = (await res.text()).split('\n\n').filter((m) => m.length > 0);
    expect(messages.length).toBeGreaterThan(6);
    for (const message of messages) {
      const [eventLine, dataLine] = message.split('\n');
      const event = /^event: (\w+)$/.exec(eventLine)?.[1];
      expect(event).toBeDefined();
      expect(JSON.parse(dataLine.replace(/^data: /, '')).type).toBe(event);
    }
  });
});
