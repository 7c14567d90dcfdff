import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR } from '../../core/semconv.ts';
import { priceUsage } from '../../processors/cost/index.ts';
import { one } from '../telemetry/test-support.ts';
import type { RunEvent } from './events.ts';
import { runWorkflow, type RunWorkflowOptions } from './run.ts';
import { attributesOf, useHarness } from './test-support.ts';

const GPT = 'gpt-4o-mini';
const harness = useHarness();

/** n llm nodes in a chain, each answering with `tokens` output tokens. */
function chain(n: number, tokens: number, extra: Record<string, unknown> = {}) {
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `n${i + 1}`,
    type: 'llm',
    config: { provider: 'openai', model: GPT, prompt: `step ${i + 1} [[sim:tokens=${tokens}]]` },
    retry: { maxAttempts: 1 },
  }));
  const edges = nodes.slice(1).map((node, i) => ({ from: nodes[i]!.id, to: node.id }));
  return { version: '1', name: 'chain', entry: 'n1', nodes, edges, ...extra };
}

const run = (spec: unknown, extra: RunWorkflowOptions = {}) => runWorkflow(spec, { runner: harness.runner(), telemetry: harness.captured.telemetry, ...extra });

async function guardrailEvents() {
  const runSpan = one(await harness.captured.spans(), 'invoke_workflow chain');
  return { runSpan, events: runSpan.events.filter((e) => e.name === FLOWTRACE_EVENT.GUARDRAIL).map((e) => e.attributes) };
}

describe('limits during a run', () => {
  it('stops before the node that would exceed maxNodes', async () => {
    const summary = await run(chain(3, 10, { limits: { maxNodes: 2 } }));
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'limit_exceeded', error: "node 'n3' would be node execution 3, above maxNodes 2" });
    expect(summary.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(harness.calls(GPT)).toBe(2);
    const { runSpan, events } = await guardrailEvents();
    expect(events).toEqual([{ [FLOWTRACE_EVENT_ATTR.LIMIT]: 'max_nodes', [FLOWTRACE_EVENT_ATTR.REASON]: 'limit_exceeded' }]);
    expect(runSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(attributesOf(runSpan)['error.type']).toBe('limit_exceeded');
  });

  it('stops when the tokens of the run pass maxTokens, counting the attempt that passed them', async () => {
    const summary = await run(chain(3, 300, { limits: { maxTokens: 500 } }));
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'limit_exceeded' });
    const [first, second] = summary.steps;
    const used = first!.tokens.input + first!.tokens.output + second!.tokens.input + second!.tokens.output;
    expect(first!.tokens.output).toBe(300);
    expect(second).toMatchObject({ status: 'failed', failureReason: 'limit_exceeded', attempts: 1 });
    expect(summary.error).toBe(`run used ${used} tokens, above maxTokens 500`);
    expect(summary.totals.tokens.total).toBe(used);
    expect(harness.calls(GPT)).toBe(2);
  });

  it('stops a run that passes its wall-time limit, aborting the call in flight', async () => {
    await harness.reset({ latency: { models: { [GPT]: { fixedMs: 5000 } } } });
    const started = Date.now();
    const summary = await run(chain(2, 10, { limits: { timeoutSeconds: 0.3 } }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'limit_exceeded', error: 'run exceeded its time limit of 0.3 s' });
    expect(summary.steps).toEqual([expect.objectContaining({ nodeId: 'n1', status: 'failed', failureReason: 'limit_exceeded' })]);
    expect((await guardrailEvents()).events[0]?.[FLOWTRACE_EVENT_ATTR.LIMIT]).toBe('timeout');
  });

  it('stops above the hard budget with budget_exceeded; the cost is the priced usage', async () => {
    const events: RunEvent[] = [];
    const summary = await run(chain(3, 500, { budget: { hardUsd: 0.0002 } }), { onEvent: (event) => events.push(event) });
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'budget_exceeded' });
    const stats = harness.simulator.stats().models[GPT]!;
    const expected = priceUsage(
      'openai',
      GPT,
      { input: stats.usage.inputTokens, output: stats.usage.outputTokens, cacheRead: stats.usage.cacheReadTokens, cacheWrite: 0, reasoning: 0 },
      new Date(),
    ).usd!;
    expect(Number(expected)).toBeGreaterThan(0.0002);
    expect(summary.totals.costUsd).toBe(expected);
    expect(summary.error).toBe(`run cost $${expected}, above its hard budget of $0.0002`);
    expect(events.filter((e) => e.kind === 'guardrail').map((e) => e.payload.limit)).toEqual(['budget']);
    expect(stats.calls).toBeLessThan(3);
  });

  it('emits one soft-budget warning and lets the run finish', async () => {
    const events: RunEvent[] = [];
    const summary = await run(chain(3, 300, { budget: { softUsd: 0.0001, hardUsd: 1 } }), { onEvent: (event) => events.push(event) });
    expect(summary.status).toBe('succeeded');
    const budget = events.filter((e) => e.kind === 'budget');
    expect(budget).toHaveLength(1);
    expect(budget[0]!.payload).toMatchObject({ kind: 'soft', limitUsd: '0.0001' });
    const runSpan = one(await harness.captured.spans(), 'invoke_workflow chain');
    const spanEvents = runSpan.events.filter((e) => e.name === FLOWTRACE_EVENT.BUDGET);
    expect(spanEvents).toHaveLength(1);
    expect(spanEvents[0]!.attributes).toMatchObject({ [FLOWTRACE_EVENT_ATTR.KIND]: 'soft', [FLOWTRACE_EVENT_ATTR.LIMIT_USD]: '0.0001' });
    expect(Number(spanEvents[0]!.attributes![FLOWTRACE_EVENT_ATTR.SPENT_USD])).toBeGreaterThan(0.0001);
  });
});

describe('cancellation', () => {
  it('cancels mid-run: the call in flight is aborted, later nodes never start, status canceled', async () => {
    await harness.reset({ latency: { models: { 'gpt-4o': { fixedMs: 5000 } } } });
    const spec = chain(3, 10);
    spec.nodes[1]!.config.model = 'gpt-4o';
    const controller = new AbortController();
    const onEvent = (event: RunEvent) => {
      if (event.kind === 'llm.request' && event.nodeId === 'n2') setTimeout(() => controller.abort(), 100);
    };
    const started = Date.now();
    const summary = await run(spec, { signal: controller.signal, onEvent });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(summary).toMatchObject({ status: 'canceled', failureReason: 'cancelled', error: 'run cancelled' });
    expect(summary.steps.map((s) => [s.nodeId, s.status])).toEqual([
      ['n1', 'succeeded'],
      ['n2', 'canceled'],
    ]);
    expect(harness.calls('gpt-4o')).toBe(1);
    expect(harness.calls(GPT)).toBe(1);
    const runSpan = one(await harness.captured.spans(), 'invoke_workflow chain');
    expect(attributesOf(runSpan)['error.type']).toBe('cancelled');
  });

  it('reports a run cancelled before it starts without running anything', async () => {
    const controller = new AbortController();
    controller.abort();
    const summary = await run(chain(2, 10), { signal: controller.signal });
    expect(summary.status).toBe('canceled');
    expect(summary.steps).toEqual([]);
    expect(harness.calls(GPT)).toBe(0);
  });
});
