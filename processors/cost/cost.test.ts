import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { afterAll, describe, expect, it } from 'vitest';
import type { TokenUsage } from '../../core/span.ts';
import { DialectNormaliser } from '../normalise/index.ts';
import { expectedUsd, spanRecord, type SpanSketch } from '../testing.ts';
import { CostEnricher, PriceOverrideError, priceUsage } from './index.ts';

// Published list prices, USD per million tokens (provider pricing pages), written here
// independently of the bundled data; the first test checks the bundle agrees.
const LIST = {
  gpt4o: { input: '2.5', cached: '1.25', output: '10' },
  o3mini: { input: '1.1', cached: '0.55', output: '4.4' },
  o3: { before: { input: '10', output: '40' }, after: { input: '2', output: '8' } }, // cut on 2025-06-10
  sonnet45: { input: '3', output: '15', cacheWrite: '3.75', cacheRead: '0.3' }, // writes 1.25×, reads 0.1× input
  sonnet45Long: { input: '6', output: '22.5', cacheWrite: '7.5', cacheRead: '0.6' }, // requests above 200k input
  sonarDeepResearch: { input: '2', output: '8', reasoning: '3' },
} as const;

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0, reasoning = 0): TokenUsage => ({
  input, output, cacheRead, cacheWrite, reasoning,
});
const AT = new Date('2026-03-10T12:00:00Z');

describe('bundled genai-prices data matches the published list prices', () => {
  const prices = (provider: string, model: string, at = AT) => calcPrice({}, model, { providerId: provider, timestamp: at })!.model_price;

  it('OpenAI gpt-4o and o3-mini', () => {
    expect(prices('openai', 'gpt-4o')).toMatchObject({ input_mtok: 2.5, cache_read_mtok: 1.25, output_mtok: 10 });
    expect(prices('openai', 'o3-mini')).toMatchObject({ input_mtok: 1.1, cache_read_mtok: 0.55, output_mtok: 4.4 });
  });

  it('Anthropic claude-sonnet-4-5 cache write/read multipliers and long-context tier', () => {
    expect(prices('anthropic', 'claude-sonnet-4-5')).toMatchObject({
      input_mtok: { base: 3, tiers: [{ start: 200_000, price: 6 }] },
      output_mtok: { base: 15, tiers: [{ start: 200_000, price: 22.5 }] },
      cache_write_mtok: { base: 3.75, tiers: [{ start: 200_000, price: 7.5 }] },
      cache_read_mtok: { base: 0.3, tiers: [{ start: 200_000, price: 0.6 }] },
    });
  });

  it('OpenAI o3 price cut of 2025-06-10', () => {
    expect(prices('openai', 'o3', new Date('2025-06-09T23:00:00Z'))).toMatchObject({ input_mtok: 10, output_mtok: 40 });
    expect(prices('openai', 'o3', new Date('2025-06-10T00:00:00Z'))).toMatchObject({ input_mtok: 2, output_mtok: 8 });
  });
});

describe('priceUsage', () => {
  it('plain input and output', () => {
    const cost = priceUsage('openai', 'gpt-4o', usage(12_345, 678), AT);
    expect(cost).toMatchObject({ status: 'priced', priceRef: expect.stringMatching(/^genai-prices@[\d.]+:openai\/gpt-4o@base$/) });
    expect(cost.usd).toBe(expectedUsd([[12_345, LIST.gpt4o.input], [678, LIST.gpt4o.output]]));
  });

  it('OpenAI-style cache read: cached tokens are part of input and billed at the cached price', () => {
    const cost = priceUsage('openai', 'gpt-4o', usage(10_000, 500, 6_000), AT);
    expect(cost.usd).toBe(expectedUsd([[4_000, LIST.gpt4o.input], [6_000, LIST.gpt4o.cached], [500, LIST.gpt4o.output]]));
    expect(cost.usd).toBe('0.0225');
  });

  it('reasoning tokens are output tokens for OpenAI (no separate price)', () => {
    const cost = priceUsage('openai', 'o3-mini', usage(2_150, 820, 1_920, 0, 640), AT);
    expect(cost.usd).toBe(expectedUsd([[230, LIST.o3mini.input], [1_920, LIST.o3mini.cached], [820, LIST.o3mini.output]]));
  });

  it('reasoning tokens at their own price where the model has one', () => {
    const cost = priceUsage('perplexity', 'sonar-deep-research', usage(1_000, 1_500, 0, 0, 1_000), AT);
    expect(cost.usd).toBe(
      expectedUsd([[1_000, LIST.sonarDeepResearch.input], [500, LIST.sonarDeepResearch.output], [1_000, LIST.sonarDeepResearch.reasoning]]),
    );
  });

  it('long-context tier: above 200k input tokens every token is billed at the higher rate', () => {
    const long = priceUsage('anthropic', 'claude-sonnet-4-5', usage(250_000, 1_000, 50_000, 10_000), AT);
    const p = LIST.sonnet45Long;
    expect(long.usd).toBe(expectedUsd([[190_000, p.input], [50_000, p.cacheRead], [10_000, p.cacheWrite], [1_000, p.output]]));
    const atThreshold = priceUsage('anthropic', 'claude-sonnet-4-5', usage(200_000, 1_000), AT);
    expect(atThreshold.usd).toBe(expectedUsd([[200_000, LIST.sonnet45.input], [1_000, LIST.sonnet45.output]]));
  });

  it('effective-dated prices follow the call time', () => {
    const before = priceUsage('openai', 'o3', usage(1_000, 1_000), new Date('2025-05-01T00:00:00Z'));
    const after = priceUsage('openai', 'o3', usage(1_000, 1_000), new Date('2025-07-01T00:00:00Z'));
    expect(before.usd).toBe(expectedUsd([[1_000, LIST.o3.before.input], [1_000, LIST.o3.before.output]]));
    expect(after.usd).toBe(expectedUsd([[1_000, LIST.o3.after.input], [1_000, LIST.o3.after.output]]));
    expect(before.priceRef).toMatch(/openai\/o3@base$/);
    expect(after.priceRef).toMatch(/openai\/o3@2025-06-10$/);
  });

  it('time-of-day prices (DeepSeek off-peak) follow the call time', () => {
    const peak = priceUsage('deepseek', 'deepseek-chat', usage(1_000_000, 0), new Date('2026-03-10T03:00:00Z'));
    const offPeak = priceUsage('deepseek', 'deepseek-chat', usage(1_000_000, 0), new Date('2026-03-10T18:00:00Z'));
    expect(Number(peak.usd)).toBeGreaterThan(Number(offPeak.usd));
    expect(peak.priceRef).toMatch(/@00:30:00Z-16:30:00Z$/);
  });

  it('rejects usage that is not whole non-negative token counts', () => {
    expect(() => priceUsage('openai', 'gpt-4o', usage(10.5, 1), AT)).toThrow('usage.input must be a non-negative integer, got 10.5');
    expect(() => priceUsage('openai', 'gpt-4o', usage(10, -1), AT)).toThrow('usage.output must be a non-negative integer, got -1');
    // Anthropic's API convention (input without cache) must be converted before pricing.
    expect(() => priceUsage('anthropic', 'claude-sonnet-4-5', usage(12, 230, 2_048, 1_500), AT)).toThrow(
      'usage.input (12) must include cacheRead + cacheWrite (3548)',
    );
    expect(() => priceUsage('openai', 'o3', usage(10, 5, 0, 0, 9), AT)).toThrow('usage.output (5) must include reasoning (9)');
  });

  it('unknown model: null cost with a reason naming provider and model', () => {
    const cost = priceUsage('selfhosted', 'llama-3-70b', usage(1_000, 100), AT);
    expect(cost).toMatchObject({ usd: null, status: 'unknown_model', priceRef: '' });
    expect(cost.reason).toContain("provider 'selfhosted'");
    expect(cost.reason).toContain("model 'llama-3-70b'");
  });

  it('agrees with genai-prices\' own (float) calculation across models and usages', () => {
    const models: Array<[string, string]> = [
      ['openai', 'gpt-4o'], ['openai', 'gpt-4o-mini'], ['openai', 'o3'], ['openai', 'gpt-4.1'], ['anthropic', 'claude-sonnet-4-5'],
      ['anthropic', 'claude-3-5-haiku-latest'], ['anthropic', 'claude-opus-4-1'], ['google', 'gemini-2.5-pro'], ['google', 'gemini-2.5-flash'],
      ['deepseek', 'deepseek-chat'], ['mistral', 'mistral-large-latest'], ['perplexity', 'sonar-deep-research'], ['groq', 'llama-3.3-70b-versatile'],
    ];
    let random = 7;
    const next = (limit: number) => (random = (random * 48_271) % 2_147_483_647) % Math.max(1, Math.floor(limit));
    for (const [provider, model] of models) {
      for (let i = 0; i < 20; i++) {
        const input = next(400_000) + 1;
        const cacheRead = next(input / 2);
        const cacheWrite = next(input - cacheRead);
        const output = next(20_000);
        const reasoning = next(output + 1);
        const mine = priceUsage(provider === 'google' ? 'gcp.gemini' : provider === 'mistral' ? 'mistral_ai' : provider, model, usage(input, output, cacheRead, cacheWrite, reasoning), AT);
        const theirs = calcPrice(
          { input_tokens: input, output_tokens: output, cache_read_tokens: cacheRead, cache_write_tokens: cacheWrite, output_reasoning_tokens: reasoning },
          model, { providerId: provider, timestamp: AT },
        );
        expect(theirs, `${provider}/${model}`).not.toBeNull();
        expect(mine.status).toBe('priced');
        expect(Number(mine.usd)).toBeCloseTo(theirs!.total_price, 9);
      }
    }
  });
});

describe('CostEnricher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowtrace-cost-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const writeOverrides = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const normaliser = new DialectNormaliser();
  const enrich = (enricher: CostEnricher, sketch: SpanSketch) => enricher.enrich(normaliser.normalise(spanRecord(sketch))).cost!;
  const bundled = new CostEnricher();

  it('prices an Anthropic-native span with cache write and read (input excludes cache on the wire)', () => {
    const cost = enrich(bundled, {
      name: 'anthropic.messages.create', scopeName: 'com.anthropic.sdk.typescript',
      attributes: {
        'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.response.model': 'claude-sonnet-4-5-20250929', 'gen_ai.usage.input_tokens': '3560', 'gen_ai.usage.output_tokens': '230',
        'gen_ai.usage.cache_write.input_tokens': '1500', 'gen_ai.usage.cache_read.input_tokens': '2048',
      },
    });
    const p = LIST.sonnet45;
    expect(cost.status).toBe('priced');
    expect(cost.usd).toBe(expectedUsd([[12, p.input], [2_048, p.cacheRead], [1_500, p.cacheWrite], [230, p.output]]));
    expect(cost.priceRef).toMatch(/anthropic\/claude-sonnet-4-5@base$/);
  });

  it('prices an OpenLLMetry JS Anthropic span whose input excluded the cache the same way', () => {
    const cost = enrich(bundled, {
      scopeName: '@traceloop/instrumentation-anthropic', scopeVersion: '0.27.0',
      attributes: {
        'gen_ai.provider.name': 'anthropic', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': '12', 'gen_ai.usage.output_tokens': '230',
        'gen_ai.usage.cache_creation.input_tokens': '1500', 'gen_ai.usage.cache_read.input_tokens': '2048',
      },
    });
    const p = LIST.sonnet45;
    expect(cost.usd).toBe(expectedUsd([[12, p.input], [2_048, p.cacheRead], [1_500, p.cacheWrite], [230, p.output]]));
  });

  it('does not bill spans that are not inference, and says why', () => {
    const cost = enrich(bundled, {
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': '900' },
    });
    expect(cost).toMatchObject({ usd: null, status: 'not_billable', reason: "not an inference span (operation 'invoke_agent')" });
  });

  it('marks inference without usage as no_usage', () => {
    const cost = enrich(bundled, { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o' } });
    expect(cost).toMatchObject({ usd: null, status: 'no_usage' });
  });

  it('falls back to the request model when the response model is unknown', () => {
    const cost = enrich(bundled, {
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-internal-canary', 'gen_ai.usage.input_tokens': '1000', 'gen_ai.usage.output_tokens': '0',
      },
    });
    expect(cost.usd).toBe(expectedUsd([[1_000, LIST.gpt4o.input]]));
  });

  it('records the saved cost of a cache-hit step', () => {
    const cost = enrich(bundled, {
      attributes: { 'flowtrace.step.id': 's1', 'flowtrace.node.id': 'n1', 'flowtrace.cache.hit': 'true' },
      events: [{ name: 'flowtrace.cache.hit', attributes: { 'flowtrace.cache.saved.cost_usd': '0.004917000', 'flowtrace.cache.saved.input_tokens': '2150' } }],
    });
    expect(cost).toMatchObject({ status: 'not_billable', usd: null, savedUsd: '0.004917' });
  });

  it('user overrides add unknown models and replace bundled prices (status override)', () => {
    const path = writeOverrides('prices.json', {
      models: [
        { provider: 'selfhosted', model: 'llama-3-70b', input_per_mtok: '0.2', output_per_mtok: '0.4', cache_read_per_mtok: '0.05' },
        { provider: 'OpenAI', model: 'GPT-4o', input_per_mtok: 2, output_per_mtok: '8.5', reasoning_per_mtok: '9' },
      ],
    });
    const enricher = new CostEnricher({ priceOverrideFile: path });
    const selfhosted = enrich(enricher, {
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'selfhosted', 'gen_ai.request.model': 'llama-3-70b',
        'gen_ai.usage.input_tokens': '10000', 'gen_ai.usage.output_tokens': '2000', 'gen_ai.usage.cache_read.input_tokens': '4000',
      },
    });
    expect(selfhosted).toMatchObject({ status: 'override', priceRef: 'override:selfhosted/llama-3-70b' });
    expect(selfhosted.usd).toBe(expectedUsd([[6_000, '0.2'], [4_000, '0.05'], [2_000, '0.4']]));
    const replaced = enrich(enricher, {
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': '1000', 'gen_ai.usage.output_tokens': '300', 'gen_ai.usage.reasoning.output_tokens': '100',
      },
    });
    expect(replaced.status).toBe('override');
    expect(replaced.usd).toBe(expectedUsd([[1_000, '2'], [200, '8.5'], [100, '9']]));
  });

  it.each([
    ['a missing price', { models: [{ provider: 'p', model: 'm', input_per_mtok: '1' }] }, "/models/0: missing required property 'output_per_mtok'"],
    ['a malformed price', { models: [{ provider: 'p', model: 'm', input_per_mtok: '1,5', output_per_mtok: '2' }] },
      '/models/0/input_per_mtok: must be a non-negative decimal string like "2.5" or a non-negative number'],
    ['a negative price', { models: [{ provider: 'p', model: 'm', input_per_mtok: -1, output_per_mtok: '2' }] }, '/models/0/input_per_mtok: must be a non-negative'],
    ['an unknown property', { models: [{ provider: 'p', model: 'm', input_per_mtok: '1', output_per_mtok: '2', input_per_ktok: '1' }] },
      "/models/0: unknown property 'input_per_ktok'"],
    ['a duplicate model', { models: [{ provider: 'p', model: 'm', input_per_mtok: '1', output_per_mtok: '2' }, { provider: 'p', model: 'M', input_per_mtok: '1', output_per_mtok: '2' }] },
      "/models/1: duplicate entry for provider 'p' model 'M'"],
    ['no models list', { model: [] }, "(top level): missing required property 'models'"],
    ['too many decimals', { models: [{ provider: 'p', model: 'm', input_per_mtok: '0.0000000000000000001', output_per_mtok: '2' }] },
      '/models/0/input_per_mtok: '],
  ])('rejects an override file with %s, saying where', (_label, content, message) => {
    const path = writeOverrides(`bad-${Math.random().toString(36).slice(2)}.json`, content);
    expect(() => new CostEnricher({ priceOverrideFile: path })).toThrow(PriceOverrideError);
    expect(() => new CostEnricher({ priceOverrideFile: path })).toThrow(message);
  });

  it('rejects unreadable and non-JSON override files', () => {
    expect(() => new CostEnricher({ priceOverrideFile: join(dir, 'missing.json') })).toThrow(/cannot read price override file .*missing\.json/);
    const path = writeOverrides('broken.json', '{"models": [');
    expect(() => new CostEnricher({ priceOverrideFile: path })).toThrow(/broken\.json is not valid JSON/);
  });
});
