import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../core/span.ts';
import { createProcessorChain } from './chain.ts';
import { spanRecord } from './testing.ts';

/** A realistic mix: FlowTrace runs/steps/attempts/tools plus foreign dialects, several models and days. */
function spanMix(count: number): SpanRecord[] {
  const models: Array<[string, string]> = [['openai', 'gpt-4o'], ['openai', 'gpt-4o-mini'], ['anthropic', 'claude-sonnet-4-5'], ['anthropic', 'claude-haiku-4-5']];
  const templates = [
    (i: number) => {
      const [provider, model] = models[i % models.length]!;
      return spanRecord({
        name: `chat ${model}`, start: `2026-03-${10 + (i % 3)}T12:00:00Z`,
        attributes: {
          'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider, 'gen_ai.request.model': model, 'gen_ai.response.model': model,
          'gen_ai.usage.input_tokens': String(1000 + i % 5000), 'gen_ai.usage.output_tokens': String(100 + i % 700),
          'gen_ai.usage.cache_read.input_tokens': String(i % 900), 'gen_ai.response.finish_reasons': '["stop"]',
          'flowtrace.run.id': `run-${i >> 4}`, 'flowtrace.step.id': `s-${i}`, 'flowtrace.node.id': 'classify', 'flowtrace.attempt': '1',
        },
      });
    },
    (i: number) => spanRecord({ name: 'step classify', attributes: { 'flowtrace.run.id': `run-${i >> 4}`, 'flowtrace.step.id': `s-${i}`, 'flowtrace.node.id': 'classify', 'flowtrace.node.type': 'llm' } }),
    (i: number) => spanRecord({ name: 'execute_tool search', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'flowtrace.run.id': `run-${i >> 4}` } }),
    (i: number) => spanRecord({ name: 'chat gpt-4o', statusCode: 'Error', statusMessage: '429 Rate limit reached',
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'error.type': 'RateLimitError', 'flowtrace.run.id': `run-${i >> 4}` } }),
    () => spanRecord({ name: 'OpenAI Chat Completions', attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini', 'llm.provider': 'openai', 'llm.token_count.prompt': '300', 'llm.token_count.completion': '50' } }),
    () => spanRecord({ name: 'ai.generateText.doGenerate', attributes: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'ai.usage.promptTokens': '900', 'ai.usage.completionTokens': '90' } }),
    () => spanRecord({ name: 'GET /health', kind: 'Server', parent: false, attributes: { 'http.request.method': 'GET', 'http.response.status_code': '200' } }),
    (i: number) => spanRecord({ name: 'invoke_workflow triage', parent: false, attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': `run-${i >> 4}` } }),
  ];
  const weights = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7]; // mostly llm attempts and steps
  return Array.from({ length: count }, (_, i) => templates[weights[i % weights.length]!]!(i));
}

describe('createProcessorChain', () => {
  it('normalises, prices and classifies every record, in order, dropping none', () => {
    const records = spanMix(200);
    const spans = createProcessorChain().process(records);
    expect(spans).toHaveLength(records.length);
    spans.forEach((span, i) => {
      expect(span.spanId).toBe(records[i]!.spanId);
      expect(span.genai).toBeDefined();
      expect(span.run).toBeDefined();
      expect(span.cost).toBeDefined();
    });
    const attempt = spans.find((span) => span.genai.isInference && span.genai.usage !== undefined)!;
    expect(attempt.cost).toMatchObject({ status: 'priced', usd: expect.stringMatching(/^\d+\.\d+$/) });
    const limited = spans.find((span) => span.statusCode === 'Error')!;
    expect(limited.failure).toMatchObject({ failureClass: 'model', reason: 'rate_limit' });
    expect(spans.filter((span) => span.genai.dialect === 'none').length).toBeGreaterThan(0);
  });

  it('applies the price override file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowtrace-chain-'));
    try {
      const file = join(dir, 'prices.json');
      writeFileSync(file, JSON.stringify({ models: [{ provider: 'selfhosted', model: 'llama-3-70b', input_per_mtok: '1', output_per_mtok: '2' }] }));
      const [span] = createProcessorChain({ priceOverrideFile: file }).process([
        spanRecord({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'selfhosted', 'gen_ai.request.model': 'llama-3-70b',
          'gen_ai.usage.input_tokens': '1000000', 'gen_ai.usage.output_tokens': '500000' } }),
      ]);
      expect(span!.cost).toMatchObject({ status: 'override', usd: '2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad configuration with a precise message', () => {
    expect(() => createProcessorChain({ priceOverrideFile: '' })).toThrow('priceOverrideFile must be a non-empty file path');
    expect(() => createProcessorChain({ priceFile: 'x' } as never)).toThrow("unknown option 'priceFile'");
    expect(() => createProcessorChain({ priceOverrideFile: '/nonexistent/prices.json' })).toThrow('cannot read price override file /nonexistent/prices.json');
  });
});
