import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { one } from '../telemetry/test-support.ts';
import { runWorkflow } from './run.ts';
import { useHarness } from './test-support.ts';

const LATENCY_MS = 600;
const harness = useHarness({ config: { latency: { models: { 'gpt-4o-mini': { fixedMs: LATENCY_MS }, 'claude-3-5-haiku-latest': { fixedMs: LATENCY_MS } } } } });

/** start → (left, right: independent llm nodes) → join */
const fanOut = (parallel: boolean) => ({
  version: '1',
  name: parallel ? 'fan-parallel' : 'fan-sequential',
  entry: 'start',
  parallel,
  nodes: [
    { id: 'start', type: 'tool', config: { tool: 'template', template: 'topic' } },
    { id: 'left', type: 'llm', config: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'left {{node.start.output}}' } },
    { id: 'right', type: 'llm', config: { provider: 'anthropic', model: 'claude-3-5-haiku-latest', prompt: 'right {{node.start.output}}' } },
    { id: 'join', type: 'tool', config: { tool: 'template', template: '{{node.left.output}} + {{node.right.output}}' } },
  ],
  edges: [
    { from: 'start', to: 'left' },
    { from: 'start', to: 'right' },
    { from: 'left', to: 'join' },
    { from: 'right', to: 'join' },
  ],
});

const ms = (time: [number, number]) => time[0] * 1000 + time[1] / 1e6;
const overlap = (a: ReadableSpan, b: ReadableSpan) => ms(a.startTime) < ms(b.endTime) && ms(b.startTime) < ms(a.endTime);

describe('parallel vs sequential', () => {
  it('runs independent nodes one after the other by default', async () => {
    const summary = await runWorkflow(fanOut(false), { runner: harness.runner(), telemetry: harness.captured.telemetry });
    expect(summary.status).toBe('succeeded');
    expect(summary.durationMs).toBeGreaterThanOrEqual(2 * LATENCY_MS);
    const spans = await harness.captured.spans();
    expect(overlap(one(spans, 'step left'), one(spans, 'step right'))).toBe(false);
  });

  it('runs them in the same superstep when the workflow opts in, and joins once after both', async () => {
    const summary = await runWorkflow(fanOut(true), { runner: harness.runner(), telemetry: harness.captured.telemetry });
    expect(summary.status).toBe('succeeded');
    expect(summary.durationMs).toBeLessThan(2 * LATENCY_MS);
    const spans = await harness.captured.spans();
    const [left, right, join] = ['step left', 'step right', 'step join'].map((name) => one(spans, name));
    expect(overlap(left!, right!)).toBe(true);
    expect(ms(join!.startTime)).toBeGreaterThanOrEqual(Math.max(ms(left!.endTime), ms(right!.endTime)));
    const outputs = Object.fromEntries(summary.steps.map((step) => [step.nodeId, step.output]));
    expect(outputs.join).toBe(`${outputs.left as string} + ${outputs.right as string}`);
  });

  it('stops a parallel sibling when the other fails, and reports the failing one', async () => {
    await harness.reset({
      latency: { models: { 'claude-3-5-haiku-latest': { fixedMs: 3000 } } },
      faults: [{ model: 'gpt-4o-mini', fault: 'server_error', calls: [1, 2, 3] }],
    });
    const spec = fanOut(true);
    (spec.nodes[1] as Record<string, unknown>).retry = { maxAttempts: 1 };
    const started = Date.now();
    const summary = await runWorkflow(spec, { runner: harness.runner(), telemetry: harness.captured.telemetry });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'provider_error' });
    const byNode = Object.fromEntries(summary.steps.map((step) => [step.nodeId, step.status]));
    expect(byNode).toMatchObject({ start: 'succeeded', left: 'failed' });
    expect(byNode.join).toBeUndefined();
  });
});
