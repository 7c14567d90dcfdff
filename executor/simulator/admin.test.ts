import { beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { type BadRequestError } from 'openai';
import { useSimulatorHarness } from './test-support.ts';

const h = useSimulatorHarness();
let origin: string;
beforeAll(() => {
  origin = h.address.anthropicBaseUrl;
});

const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${origin}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
const chat = () => h.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

describe('admin endpoint', () => {
  it('serves /health', async () => {
    const res = await fetch(`${origin}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('PUT /_simulator/config applies a valid configuration at runtime', async () => {
    const config = { seed: 3, faults: [{ model: 'gpt-4o', calls: [1], fault: 'rate_limit' }] };
    const res = await json('PUT', '/_simulator/config', config);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, config });
    expect(await (await fetch(`${origin}/_simulator/config`)).json()).toEqual(config);
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(chat()).resolves.toBeTruthy();
  });

  it('rejects an invalid configuration with every problem and keeps the previous one', async () => {
    await json('PUT', '/_simulator/config', { faults: [{ calls: [1], fault: 'server_error' }] });
    const res = await json('PUT', '/_simulator/config', {
      seed: 1.5,
      latency: { models: { 'gpt-*': { fixedMs: -5 } } },
      faults: [{ modle: 'x', fault: 'explode', rate: 2 }, { calls: [], fault: ['timeout', 'nope'] }, { model: 'gpt-4o' }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; problems: string[] } };
    expect(body.error.problems).toEqual(
      expect.arrayContaining([
        'seed: must be integer',
        'latency.models["gpt-*"].fixedMs: must be >= 0',
        'faults[0]: unknown property "modle"',
        expect.stringMatching(/^faults\[0\]\.fault: must be one of "rate_limit", "server_error", .*"mid_stream_drop"$/),
        'faults[0].rate: must be <= 1',
        'faults[1].calls: must NOT have fewer than 1 items',
        expect.stringMatching(/^faults\[1\]\.fault\[1\]: must be one of /),
        "faults[2]: must have required property 'fault'",
      ]),
    );
    expect(body.error.message).toMatch(/^invalid simulator config: /);
    // Still the previous configuration: the first call fails with 500.
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('rejects a body that is not JSON', async () => {
    const broken = await json('PUT', '/_simulator/config', '{"faults": [');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid JSON body/);
    const text = await fetch(`${origin}/_simulator/config`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    const notObject = await json('PUT', '/_simulator/config', [1]);
    expect(notObject.status).toBe(400);
  });

  it('GET /_simulator/stats and POST /_simulator/reset', async () => {
    await chat();
    await chat();
    const stats = (await (await fetch(`${origin}/_simulator/stats`)).json()) as { calls: number; models: Record<string, { calls: number }> };
    expect(stats.calls).toBe(2);
    expect(stats.models['gpt-4o'].calls).toBe(2);
    const reset = await json('POST', '/_simulator/reset');
    expect(reset.status).toBe(200);
    expect(h.simulator.stats().calls).toBe(0);
    const next = await chat().withResponse();
    expect(next.response.headers.get('x-simulator-call')).toBe('1');
  });

  it('answers unknown routes with 404', async () => {
    expect((await fetch(`${origin}/nope`)).status).toBe(404);
    const err = await h.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('provider request validation', () => {
  it('requires an API key (any value, Bearer or x-api-key)', async () => {
    const body = { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const none = await json('POST', '/v1/messages', body);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect((await json('POST', '/v1/messages', body, { 'x-api-key': 'anything' })).status).toBe(200);
    expect((await json('POST', '/v1/messages', body, { authorization: 'Bearer anything' })).status).toBe(200);
    const openaiNone = await json('POST', '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(openaiNone.status).toBe(401);
    expect(await openaiNone.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
  });

  it('answers bad requests with a precise 400 in the provider shape and keeps serving', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ messages: [{ role: 'user', content: 'x' }] }, /`model` is required/],
      [{ model: 'gpt-4o', messages: [] }, /`messages` is required and must be a non-empty array/],
      [{ model: 'gpt-4o', messages: [{ content: 'x' }] }, /`messages\[0\]` must be an object with a string `role`/],
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: 5 }] }, /`messages\[0\]\.content` must be a string/],
      [{ model: 'gpt-4o', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }, /`max_tokens` must be a positive integer/],
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: '[[sim:tokens=many]]' }] }, /\[\[sim:tokens=many\]\]: expected an integer/],
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: '[[sim:colour=red]]' }] }, /Unknown simulator directive \[\[sim:colour=\.\.\.\]\]/],
    ];
    for (const [body, message] of cases) {
      const err = (await h.openai.chat.completions.create(body as never).catch((e: unknown) => e)) as BadRequestError;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.message).toMatch(message);
      expect(err.type).toBe('invalid_request_error');
    }
    const broken = await json('POST', '/v1/chat/completions', '{"model": "gpt-4o", ', { authorization: 'Bearer k' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringMatching(/^Invalid JSON body/) } });
    const brokenAnthropic = await json('POST', '/v1/messages', '{', { 'x-api-key': 'k' });
    expect(await brokenAnthropic.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const stats = h.simulator.stats();
    expect(stats.rejected).toBe(cases.length + 2);
    expect(stats.calls).toBe(0);
    await expect(chat()).resolves.toBeTruthy();
  });
});
