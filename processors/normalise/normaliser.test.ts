import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dialect, RunFacts, TokenUsage } from '../../core/span.ts';
import { spanRecord, type SpanSketch } from '../testing.ts';
import { DialectNormaliser, normaliseProvider } from './index.ts';

interface FixtureCase {
  name: string;
  span: SpanSketch;
  expected: {
    dialect: Dialect;
    operation?: string;
    provider?: string;
    requestModel?: string;
    responseModel?: string;
    usage?: TokenUsage | null;
    isInference?: boolean;
    finishReasons?: string[];
    errorType?: string;
    run?: Partial<RunFacts>;
  };
}

interface FixtureFile {
  dialect: Dialect;
  sources: string[];
  cases: FixtureCase[];
}

const fixtureDir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(fixtureDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(fixtureDir, file), 'utf8')) as FixtureFile);

const normaliser = new DialectNormaliser();

describe('DialectNormaliser on realistic spans of every dialect', () => {
  it('has fixtures for every dialect', () => {
    const dialects = new Set(fixtures.map((fixture) => fixture.dialect));
    expect([...dialects].sort()).toEqual(['anthropic_sdk', 'genai', 'genai_legacy', 'none', 'openinference', 'openllmetry', 'vercel_ai']);
  });

  for (const fixture of fixtures) {
    describe(fixture.dialect, () => {
      for (const testCase of fixture.cases) {
        it(testCase.name, () => {
          const record = spanRecord(testCase.span);
          const rawAttributes = structuredClone(record.attributes);
          const span = normaliser.normalise(record);
          const { expected } = testCase;

          expect(span.genai.dialect).toBe(expected.dialect);
          for (const key of ['operation', 'provider', 'requestModel', 'responseModel', 'isInference', 'finishReasons', 'errorType'] as const) {
            if (expected[key] !== undefined) expect(span.genai[key], key).toEqual(expected[key]);
          }
          if (expected.usage !== undefined) expect(span.genai.usage ?? null).toEqual(expected.usage);
          for (const [key, value] of Object.entries(expected.run ?? {})) {
            expect(span.run[key as keyof RunFacts], `run.${key}`).toEqual(value === '<traceId>' ? record.traceId : value);
          }
          // The raw record is carried over untouched.
          expect(span.attributes).toEqual(rawAttributes);
          expect(span.spanId).toBe(record.spanId);
          expect(span.name).toBe(record.name);
        });
      }
    });
  }
});

describe('semconv token arithmetic', () => {
  it('adds cache tokens when a span reports fewer input tokens than its cache parts', () => {
    const span = normaliser.normalise(
      spanRecord({
        attributes: {
          'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5',
          'gen_ai.usage.input_tokens': '20', 'gen_ai.usage.output_tokens': '5', 'gen_ai.usage.cache_read.input_tokens': '3000',
        },
      }),
    );
    expect(span.genai.usage).toEqual({ input: 3020, output: 5, cacheRead: 3000, cacheWrite: 0, reasoning: 0 });
  });

  it('adds reasoning when output is smaller than its reasoning part', () => {
    const span = normaliser.normalise(
      spanRecord({
        attributes: {
          'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'gcp.gemini', 'gen_ai.usage.input_tokens': '10',
          'gen_ai.usage.output_tokens': '4', 'gen_ai.usage.reasoning.output_tokens': '90',
        },
      }),
    );
    expect(span.genai.usage).toMatchObject({ output: 94, reasoning: 90 });
  });

  it('ignores malformed counts instead of failing', () => {
    const span = normaliser.normalise(
      spanRecord({
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 'many', 'gen_ai.usage.output_tokens': '-3' },
      }),
    );
    expect(span.genai.usage).toBeUndefined();
    expect(span.genai.isInference).toBe(true);
  });
});

describe('run facts', () => {
  it('uses the trace id as run id for spans without flowtrace.run.id', () => {
    const record = spanRecord({ traceId: 'abcdefabcdefabcdefabcdefabcdefab', attributes: { 'gen_ai.operation.name': 'chat' } });
    expect(normaliser.normalise(record).run.runId).toBe('abcdefabcdefabcdefabcdefabcdefab');
  });

  it('treats FlowTrace\'s invoke_workflow as the run even under a foreign parent', () => {
    const span = normaliser.normalise(
      spanRecord({ parent: true, attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'r1' } }),
    );
    expect(span.run.role).toBe('run');
  });

  it('gives a root inference span the run role but keeps it billable', () => {
    const span = normaliser.normalise(
      spanRecord({ parent: false, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': '5' } }),
    );
    expect(span.run.role).toBe('run');
    expect(span.genai.isInference).toBe(true);
  });

  it('reads invalid attempts as the first attempt', () => {
    const span = normaliser.normalise(spanRecord({ attributes: { 'flowtrace.attempt': 'zero' } }));
    expect(span.run.attempt).toBe(1);
  });
});

describe('provider names', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'gcp.gemini'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['az.ai.openai', 'azure.ai.openai'],
    ['Anthropic', 'anthropic'],
    ['mistralai', 'mistral_ai'],
    ['xai', 'x_ai'],
    ['selfhosted', 'selfhosted'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseProvider(raw)).toBe(expected);
  });
});
