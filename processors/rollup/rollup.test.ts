import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../core/span.ts';
import { createProcessorChain } from '../chain.ts';
import { expectedUsd, spanRecord } from '../testing.ts';
import { rollUpRun } from './index.ts';

const RUN = 'run_rollup_1';
const chain = createProcessorChain();

const flow = (attributes: Record<string, string>) => ({ 'flowtrace.run.id': RUN, ...attributes });
const chat = (provider: string, model: string, usage: Record<string, string>, extra: Record<string, string> = {}) =>
  flow({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider, 'gen_ai.request.model': model, ...usage, ...extra });

/** A FlowTrace run: a retried llm step, an agent step whose agent span repeats its children's usage, a cache hit and a tool. */
function runSpans(): SpanRecord[] {
  return [
    spanRecord({ spanId: 'a000000000000001', parent: false, name: 'invoke_workflow triage', attributes: flow({ 'gen_ai.operation.name': 'invoke_workflow' }) }),
    spanRecord({ spanId: 'a000000000000002', name: 'step classify', attributes: flow({ 'flowtrace.step.id': 's1', 'flowtrace.node.id': 'classify', 'flowtrace.node.type': 'llm' }) }),
    spanRecord({ spanId: 'a000000000000003', name: 'chat gpt-4o', statusCode: 'Error', statusMessage: '429 Rate limit reached',
      attributes: chat('openai', 'gpt-4o', {}, { 'error.type': 'RateLimitError', 'flowtrace.attempt': '1', 'flowtrace.step.id': 's1' }) }),
    spanRecord({ spanId: 'a000000000000004', name: 'chat gpt-4o',
      attributes: chat('openai', 'gpt-4o', { 'gen_ai.usage.input_tokens': '10000', 'gen_ai.usage.output_tokens': '500', 'gen_ai.usage.cache_read.input_tokens': '6000' },
        { 'flowtrace.attempt': '2', 'flowtrace.step.id': 's1' }) }),
    spanRecord({ spanId: 'a000000000000005', name: 'step answer', attributes: flow({ 'flowtrace.step.id': 's2', 'flowtrace.node.id': 'answer', 'flowtrace.node.type': 'llm' }) }),
    // The agent span repeats the usage of the two calls inside it.
    spanRecord({ spanId: 'a000000000000006', name: 'invoke_agent answerer',
      attributes: flow({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.input_tokens': '4500', 'gen_ai.usage.output_tokens': '400', 'gen_ai.usage.cache_read.input_tokens': '2000', 'gen_ai.usage.cache_creation.input_tokens': '1000' }) }),
    spanRecord({ spanId: 'a000000000000007', name: 'chat claude-sonnet-4-5',
      attributes: chat('anthropic', 'claude-sonnet-4-5', { 'gen_ai.usage.input_tokens': '1500', 'gen_ai.usage.output_tokens': '150', 'gen_ai.usage.cache_creation.input_tokens': '1000' },
        { 'flowtrace.fallback.from': 'openai/gpt-4o' }) }),
    spanRecord({ spanId: 'a000000000000008', name: 'chat claude-sonnet-4-5',
      attributes: chat('anthropic', 'claude-sonnet-4-5', { 'gen_ai.usage.input_tokens': '3000', 'gen_ai.usage.output_tokens': '250', 'gen_ai.usage.cache_read.input_tokens': '2000' },
        { 'flowtrace.fallback.from': 'openai/gpt-4o' }) }),
    spanRecord({ spanId: 'a000000000000009', name: 'step classify (cached)',
      attributes: flow({ 'flowtrace.step.id': 's3', 'flowtrace.node.id': 'classify', 'flowtrace.node.type': 'llm', 'flowtrace.cache.hit': 'true' }),
      events: [{ name: 'flowtrace.cache.hit', attributes: { 'flowtrace.cache.saved.cost_usd': '0.0225' } }] }),
    spanRecord({ spanId: 'a00000000000000a', name: 'step lookup', attributes: flow({ 'flowtrace.step.id': 's4', 'flowtrace.node.id': 'lookup', 'flowtrace.node.type': 'tool' }) }),
    spanRecord({ spanId: 'a00000000000000b', name: 'execute_tool lookup_order', attributes: flow({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' }) }),
  ];
}

describe('rollUpRun', () => {
  const totals = rollUpRun(chain.process(runSpans()));

  it('sums inference spans only: the agent span repeating its children is not counted again', () => {
    // Children only: 10000 + 1500 + 3000 input; the agent's 4500 would make it 19000.
    expect(totals.inputTokens).toBe(10_000 + 1_500 + 3_000);
    expect(totals.outputTokens).toBe(500 + 150 + 250);
    expect(totals.cacheReadTokens).toBe(6_000 + 2_000);
    expect(totals.cacheWriteTokens).toBe(1_000);
    expect(totals.totalTokens).toBe(14_500 + 900);
  });

  it('adds the exact cost of each inference span', () => {
    // Cost is linear in the parts, so the run total is one independent computation over all of them.
    const gpt4o: Array<[number, string]> = [[4_000, '2.5'], [6_000, '1.25'], [500, '10']];
    const claudeWrite: Array<[number, string]> = [[500, '3'], [1_000, '3.75'], [150, '15']];
    const claudeRead: Array<[number, string]> = [[1_000, '3'], [2_000, '0.3'], [250, '15']];
    expect(totals.costUsd).toBe(expectedUsd([...gpt4o, ...claudeWrite, ...claudeRead]));
    expect(totals.unpricedCalls).toBe(1); // the rate-limited attempt has no usage
  });

  it('counts calls, retries, fallbacks, cache hits, steps, tools and failures like the runs view', () => {
    expect(totals).toMatchObject({
      llmCalls: 4, retries: 1, fallbacks: 2, cacheHits: 1, steps: 4, toolCalls: 1, errorSpans: 1, failures: 1, savedCostUsd: '0.0225',
    });
  });

  it('counts a span delivered twice once', () => {
    const spans = chain.process(runSpans());
    expect(rollUpRun([...spans, ...spans])).toEqual(totals);
  });

  it('does not bill Vercel AI SDK outer spans that repeat their doGenerate usage', () => {
    const spans = chain.process([
      spanRecord({ spanId: 'b000000000000001', parent: false, name: 'ai.generateText',
        attributes: { 'ai.operationId': 'ai.generateText', 'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'ai.usage.inputTokens': '2000', 'ai.usage.outputTokens': '200' } }),
      spanRecord({ spanId: 'b000000000000002', parent: 'b000000000000001', name: 'ai.generateText.doGenerate',
        attributes: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'ai.usage.promptTokens': '1200', 'ai.usage.completionTokens': '120' } }),
      spanRecord({ spanId: 'b000000000000003', parent: 'b000000000000001', name: 'ai.generateText.doGenerate',
        attributes: { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gpt-4o', 'ai.model.provider': 'openai.chat', 'ai.usage.promptTokens': '800', 'ai.usage.completionTokens': '80' } }),
    ]);
    const vercel = rollUpRun(spans);
    expect(vercel).toMatchObject({ llmCalls: 2, inputTokens: 2_000, outputTokens: 200 });
    expect(vercel.costUsd).toBe(expectedUsd([[2_000, '2.5'], [200, '10']]));
    expect(spans[0]!.cost?.status).toBe('not_billable');
  });

  it('returns zeros for no spans', () => {
    expect(rollUpRun([])).toMatchObject({ llmCalls: 0, inputTokens: 0, costUsd: '0', savedCostUsd: '0' });
  });
});
