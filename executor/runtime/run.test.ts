import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { FLOWTRACE, FLOWTRACE_EVENT, GEN_AI } from '../../core/semconv.ts';
import { FileResponseCache } from '../cache/index.ts';
import { WorkflowValidationError } from '../spec/issues.ts';
import { byName, one, parentIdOf, spanIdOf } from '../telemetry/test-support.ts';
import { RunInputError } from './inputs.ts';
import { RunIdError, runWorkflow, type RunWorkflowOptions } from './run.ts';
import type { RunEvent } from './events.ts';
import { attributesOf, useHarness } from './test-support.ts';

const GPT = 'gpt-4o-mini';
const HAIKU = 'claude-3-5-haiku-latest';

const harness = useHarness();

const options = (extra: RunWorkflowOptions = {}): RunWorkflowOptions => ({ runner: harness.runner(), telemetry: harness.captured.telemetry, ...extra });

/** Seed 004's research flow with a shallow branch; `notes` steers the summary's length through a simulator directive. */
function researchFlow() {
  return {
    version: '1',
    name: 'research',
    entry: 'ingest',
    inputs: { notes: { description: 'source text' } },
    nodes: [
      { id: 'ingest', type: 'tool', config: { tool: 'template', template: 'Notes: {{input.notes}}' } },
      {
        id: 'summarize',
        type: 'llm',
        config: { provider: 'openai', model: GPT, system: 'Be concise' },
        inputs: { text: '{{node.ingest.output}}' },
        retry: { maxAttempts: 2, initialDelayMs: 5, jitter: 0 },
        semantic_label: 'summarize',
      },
      { id: 'decide', type: 'router', config: { rule: "len(text)>2000 ? 'deep' : 'shallow'" }, inputs: { text: '{{node.summarize.output}}' } },
      { id: 'deep', type: 'llm', config: { provider: 'anthropic', model: HAIKU }, inputs: { text: '{{node.summarize.output}}' } },
      { id: 'shallow', type: 'tool', config: { tool: 'template', template: 'short: {{node.summarize.output}}' } },
      { id: 'report', type: 'tool', config: { tool: 'template', template: '[{{node.deep.output}}|{{node.shallow.output}}]' } },
    ],
    edges: [
      { from: 'ingest', to: 'summarize' },
      { from: 'summarize', to: 'decide' },
      { from: 'decide', to: 'deep', when: "branch=='deep'" },
      { from: 'decide', to: 'shallow', when: "branch=='shallow'" },
      { from: 'deep', to: 'report' },
      { from: 'shallow', to: 'report' },
    ],
    limits: { maxNodes: 20, maxTokens: 150000, timeoutSeconds: 120 },
  };
}

const stepOf = (summary: Awaited<ReturnType<typeof runWorkflow>>, id: string) => {
  const step = summary.steps.find((s) => s.nodeId === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
};

describe('routing', () => {
  it('takes the deep branch for a long summary and records the other branch as skipped', async () => {
    const summary = await runWorkflow(researchFlow(), options({ inputs: { notes: 'long [[sim:tokens=700]]' } }));
    expect(summary.status).toBe('succeeded');
    const summaryText = stepOf(summary, 'summarize').output as string;
    expect(summaryText.length).toBeGreaterThan(2000);
    expect(stepOf(summary, 'decide')).toMatchObject({ status: 'succeeded', branch: 'deep', output: 'deep' });
    expect(stepOf(summary, 'deep').status).toBe('succeeded');
    expect(stepOf(summary, 'shallow')).toMatchObject({ status: 'skipped', skipReason: expect.stringContaining("branch=='shallow' is false") });
    // The join runs once, with the skipped branch rendering empty.
    expect(stepOf(summary, 'report').output).toBe(`[${stepOf(summary, 'deep').output as string}|]`);
    expect(harness.calls(GPT)).toBe(1);
    expect(harness.calls(HAIKU)).toBe(1);
  });

  it('takes the shallow branch for a short summary and never calls the deep model', async () => {
    const summary = await runWorkflow(researchFlow(), options({ inputs: { notes: 'short [[sim:tokens=50]]' } }));
    expect(summary.status).toBe('succeeded');
    expect(stepOf(summary, 'decide').branch).toBe('shallow');
    expect(stepOf(summary, 'deep')).toMatchObject({ status: 'skipped', tokens: { input: 0, output: 0 } });
    expect(stepOf(summary, 'shallow').output).toBe(`short: ${stepOf(summary, 'summarize').output as string}`);
    expect(harness.calls(HAIKU)).toBe(0);
    expect(summary.steps.map((s) => s.nodeId)).toEqual(['ingest', 'summarize', 'decide', 'deep', 'shallow', 'report']);
  });

  it('emits the run, step, tool and inference spans as one tree, with the branch on the router step', async () => {
    const summary = await runWorkflow(researchFlow(), options({ inputs: { notes: 'short [[sim:tokens=50]]' } }));
    const spans = await harness.captured.spans();
    const run = one(spans, 'invoke_workflow research');
    expect(attributesOf(run)).toMatchObject({ [FLOWTRACE.RUN_ID]: summary.runId, [GEN_AI.OPERATION_NAME]: 'invoke_workflow' });
    expect(attributesOf(run)[FLOWTRACE.WORKFLOW_VERSION]).toMatch(/^[0-9a-f]{12}$/);
    const steps = spans.filter((s) => s.name.startsWith('step '));
    // Skipped nodes have no step span.
    expect(steps.map((s) => s.name).sort()).toEqual(['step decide', 'step ingest', 'step report', 'step shallow', 'step summarize']);
    for (const step of steps) expect(parentIdOf(step)).toBe(spanIdOf(run));
    const decide = one(spans, 'step decide');
    expect(attributesOf(decide)).toMatchObject({ [FLOWTRACE.ROUTER_BRANCH]: 'shallow', [FLOWTRACE.NODE_TYPE]: 'router' });
    const summarize = one(spans, 'step summarize');
    expect(attributesOf(summarize)[FLOWTRACE.SEMANTIC_LABEL]).toBe('summarize');
    expect(attributesOf(summarize)[FLOWTRACE.STEP_ID]).toBe(stepOf(summary, 'summarize').stepId);
    expect(parentIdOf(one(spans, `chat ${GPT}`))).toBe(spanIdOf(summarize));
    expect(parentIdOf(byName(spans, 'execute_tool template')[0]!)).toBe(spanIdOf(one(spans, 'step ingest')));
  });
});

describe('templating and inputs', () => {
  const flow = (template: string) => ({
    version: '1',
    entry: 'fetch',
    inputs: { topic: { default: 'otel' }, count: { description: 'how many', required: false } },
    nodes: [
      { id: 'fetch', type: 'tool', config: { tool: 'doc' } },
      { id: 'render', type: 'tool', config: { tool: 'template', template } },
      { id: 'pick', type: 'tool', config: { tool: 'json_path', path: '$.meta.tags[1]', source: '{{node.fetch.output}}', first: true } },
      { id: 'echo', type: 'tool', config: { tool: 'template', template: 'picked {{node.pick.output}}' } },
    ],
    edges: [
      { from: 'fetch', to: 'render' },
      { from: 'render', to: 'pick' },
      { from: 'pick', to: 'echo' },
    ],
  });
  const tools = { doc: () => ({ content: 'body', meta: { n: 2, tags: ['a', 'b'] } }) };

  it('renders outputs, paths into outputs, inputs and defaults; a sole placeholder keeps its value', async () => {
    const summary = await runWorkflow(
      flow('{{node.fetch.output.content}}/{{node.fetch.output.meta.n}}/{{input.topic}}/{{input.count}}/{{node.fetch.output.meta}}'),
      options({ tools }),
    );
    expect(summary.status).toBe('succeeded');
    expect(stepOf(summary, 'render').output).toBe('body/2/otel//{"n":2,"tags":["a","b"]}');
    expect(stepOf(summary, 'pick').output).toBe('b');
    expect(stepOf(summary, 'echo').output).toBe('picked b');
  });

  it('fails the step when a path does not exist in an output', async () => {
    const summary = await runWorkflow(flow('{{node.fetch.output.meta.missing}}'), options({ tools }));
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'parse_error' });
    expect(stepOf(summary, 'render')).toMatchObject({
      status: 'failed',
      failureReason: 'parse_error',
      error: "{{node.fetch.output.meta.missing}}: node.fetch.output.meta has no 'missing'",
    });
    expect(summary.steps.map((s) => s.nodeId)).toEqual(['fetch', 'render']);
  });

  it('rejects unknown and missing inputs before running, naming each', async () => {
    const spec = { ...flow('x'), inputs: { topic: { description: 'the topic' }, extra: { default: 1 } } };
    const error = await runWorkflow(spec, options({ tools, inputs: { nope: 1 } })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RunInputError);
    expect((error as RunInputError).message).toBe(
      'invalid run inputs\n  inputs.nope: not declared by the workflow (declared: topic, extra)\n  inputs.topic: required (the topic)',
    );
  });

  it('rejects an invalid workflow with every problem, and an unknown tool', async () => {
    const error = await runWorkflow({ ...flow('x'), entry: 'nope' }, options()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "entry: unknown node 'nope'",
      "nodes[0].config.tool: unknown tool 'doc' (known: http_get, json_path, template)",
    ]);
  });
});

describe('events', () => {
  const single = {
    version: '1',
    name: 'single',
    entry: 'ask',
    nodes: [{ id: 'ask', type: 'llm', config: { provider: 'openai', model: GPT, system: 'secret system', prompt: 'secret prompt' } }],
    edges: [],
  };

  it('streams run, step and llm events in order, without content unless capture is on', async () => {
    const events: RunEvent[] = [];
    const summary = await runWorkflow(single, options({ onEvent: (event) => events.push(event) }));
    expect(events.map((e) => `${e.kind}:${(e.payload.status as string) ?? ''}`)).toEqual([
      'run.status:running',
      'step.status:running',
      'llm.request:',
      'llm.response:',
      'step.status:succeeded',
      'run.status:succeeded',
    ]);
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([summary.runId]));
    expect(events[2]).toMatchObject({ nodeId: 'ask', stepId: stepOf(summary, 'ask').stepId, payload: { provider: 'openai', model: GPT } });
    expect(JSON.stringify(events)).not.toContain('secret');

    const captured: RunEvent[] = [];
    await runWorkflow(single, options({ captureContent: true, onEvent: (event) => captured.push(event) }));
    expect(captured.find((e) => e.kind === 'llm.request')?.payload).toMatchObject({ system: 'secret system', prompt: 'secret prompt' });
    expect(typeof captured.find((e) => e.kind === 'llm.response')?.payload.text).toBe('string');
  });

  it('refuses to start llm nodes without a runner', async () => {
    await expect(runWorkflow(single, { telemetry: harness.captured.telemetry })).rejects.toThrow(
      "the workflow has llm nodes: pass an LlmStepRunner as option 'runner' (createLlmStepRunner)",
    );
  });

  it('keeps running when a listener throws', async () => {
    const summary = await runWorkflow(single, options({ onEvent: () => { throw new Error('listener bug'); } }));
    expect(summary.status).toBe('succeeded');
  });
});

describe('retries, fallbacks and cache', () => {
  const flow = {
    version: '1',
    name: 'resilient',
    entry: 'ask',
    nodes: [
      {
        id: 'ask',
        type: 'llm',
        config: { provider: 'openai', model: GPT, prompt: 'Explain tracing' },
        retry: { maxAttempts: 3, initialDelayMs: 5, jitter: 0 },
        fallbacks: [{ provider: 'anthropic', model: HAIKU }],
      },
    ],
    edges: [],
  };

  it('counts a retried attempt and reports a retry event', async () => {
    await harness.reset({ faults: [{ model: GPT, calls: [1], fault: 'rate_limit', retryAfterMs: 5 }] });
    const events: RunEvent[] = [];
    const summary = await runWorkflow(flow, options({ onEvent: (event) => events.push(event) }));
    expect(summary.status).toBe('succeeded');
    expect(stepOf(summary, 'ask')).toMatchObject({ attempts: 2, retries: 1, fallbackUsed: false, provider: 'openai' });
    expect(summary.totals).toMatchObject({ retries: 1, fallbacks: 0, llmCalls: 2 });
    expect(events.filter((e) => e.kind === 'retry')).toHaveLength(1);
    expect(harness.calls(GPT)).toBe(2);
  });

  it('falls back from OpenAI to Anthropic and says so', async () => {
    await harness.reset({ faults: [{ model: GPT, fault: 'server_error' }] });
    const events: RunEvent[] = [];
    const summary = await runWorkflow(flow, options({ onEvent: (event) => events.push(event) }));
    expect(summary.status).toBe('succeeded');
    expect(stepOf(summary, 'ask')).toMatchObject({ fallbackUsed: true, provider: 'anthropic', model: HAIKU });
    expect(summary.totals.fallbacks).toBe(1);
    expect(events.find((e) => e.kind === 'fallback')?.payload).toEqual({
      attempt: 2,
      from: `openai/${GPT}`,
      to: `anthropic/${HAIKU}`,
      reason: 'provider_error',
    });
    const step = one(await harness.captured.spans(), 'step ask');
    expect(step.events.map((e) => e.name)).toContain(FLOWTRACE_EVENT.FALLBACK);
  });

  it('answers a repeated run from the cache: no provider call, no cost, a cache.hit event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowtrace-run-cache-'));
    try {
      const cache = new FileResponseCache({ dir });
      const first = await runWorkflow(flow, options({ runner: harness.runner(cache) }));
      expect(first.totals).toMatchObject({ cacheHits: 0, llmCalls: 1 });
      expect(Number(first.totals.costUsd)).toBeGreaterThan(0);
      const events: RunEvent[] = [];
      const second = await runWorkflow(flow, options({ runner: harness.runner(cache), onEvent: (event) => events.push(event) }));
      expect(second.totals).toMatchObject({ cacheHits: 1, llmCalls: 0, costUsd: '0' });
      expect(stepOf(second, 'ask').output).toBe(stepOf(first, 'ask').output);
      expect(events.find((e) => e.kind === 'cache.hit')?.payload.savedCostUsd).toBe(first.totals.costUsd);
      expect(harness.calls(GPT)).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('run ids', () => {
  const flow = { version: '1', entry: 'a', nodes: [{ id: 'a', type: 'tool', config: { tool: 'template', template: 'x' } }], edges: [] };

  it('refuses to reuse a run id, to resume an unknown one, or an unsafe id', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowtrace-run-ids-'));
    try {
      await runWorkflow(flow, options({ runId: 'r1', checkpointDir: dir }));
      await expect(runWorkflow(flow, options({ runId: 'r1', checkpointDir: dir }))).rejects.toThrow(
        new RunIdError("run 'r1' already has checkpoints: resume it or use a new run id"),
      );
      await expect(runWorkflow(flow, options({ runId: 'r2', checkpointDir: dir, resume: true }))).rejects.toThrow("no checkpoint for run 'r2' to resume");
      await expect(runWorkflow(flow, options({ runId: '../x' }))).rejects.toThrow(RunIdError);
      const other = { ...flow, nodes: [{ id: 'a', type: 'tool', config: { tool: 'template', template: 'y' } }] };
      await expect(runWorkflow(other, options({ runId: 'r1', checkpointDir: dir, resume: true }))).rejects.toThrow('was started with a different workflow');
      const resumed = await runWorkflow(flow, options({ runId: 'r1', checkpointDir: dir, resume: true }));
      expect(resumed).toMatchObject({ status: 'succeeded', resumed: true, steps: [{ nodeId: 'a', resumed: true, output: 'x' }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('marks the run span failed with the reason when a run fails', async () => {
    const failing = { ...flow, name: 'failing', nodes: [{ id: 'a', type: 'tool', config: { tool: 'boom' } }] };
    const summary = await runWorkflow(failing, options({ tools: { boom: () => { throw new Error('kaput'); } } }));
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'tool_error', error: 'kaput' });
    const run = one(await harness.captured.spans(), 'invoke_workflow failing');
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(attributesOf(run)['error.type']).toBe('tool_error');
  });
});
