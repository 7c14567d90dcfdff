// Seed 004 §12 success checklist, end to end: the demo workflows run on the real SDKs
// against the provider simulator, their spans go through the real OTLP exporter into the
// embedded pipeline (chdb), and every claim is checked in the typed views — against the
// provider-reported usage priced independently with published list prices, and against
// the executor's own RunSummary.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow, type RunSummary, type RunWorkflowOptions, type WorkflowSpec } from '../../executor/index.ts';
import type { SimulatorConfig } from '../../executor/simulator/index.ts';
import { CSV, RESEARCH, csvTools, fastDemoSpec } from './support/demo-specs.ts';
import { fromPico, providerTotals, toPico } from './support/list-prices.ts';
import { sqlString, startExecutorStack, type ExecutorStack } from './support/stack.ts';

const GPT_MINI = 'gpt-4o-mini';
const HAIKU = 'claude-3-5-haiku-latest';
const SONNET = 'claude-sonnet-4-20250514';
const GPT_4O = 'gpt-4o';

interface RunRow {
  Status: string;
  FailureClass: string;
  FailureReason: string;
  Steps: number;
  LlmCalls: number;
  ToolCalls: number;
  Retries: number;
  Fallbacks: number;
  CacheHits: number;
  InputTokens: number;
  OutputTokens: number;
  CacheReadTokens: number;
  CacheWriteTokens: number;
  ReasoningTokens: number;
  Cost: string | null;
  Saved: string | null;
}

interface StepRow {
  StepId: string;
  NodeId: string;
  NodeType: string;
  RouterBranch: string;
  LatencyMs: number;
  StatusCode: string;
  CacheHit: number;
  FailureReason: string;
}

interface CallRow {
  StepId: string;
  Provider: string;
  RequestModel: string;
  Attempt: number;
  FallbackFrom: string;
  CacheHit: number;
  StatusCode: string;
  FailureReason: string;
  InputTokens: number;
  OutputTokens: number;
  LatencyMs: number;
  Cost: string | null;
}

let stack: ExecutorStack;
let research: WorkflowSpec;

beforeAll(async () => {
  stack = await startExecutorStack();
  research = await fastDemoSpec(RESEARCH);
});
afterAll(() => stack?.close());

/** Runs a workflow on a freshly reset simulator and returns its summary, the provider's own usage and the stored rows. */
async function runStored(spec: WorkflowSpec, options: RunWorkflowOptions & { simulator?: SimulatorConfig; cache?: boolean }) {
  stack.resetSimulator(options.simulator);
  const summary = await runWorkflow(spec, { runner: stack.runner({ cache: options.cache }), telemetry: stack.telemetry, tools: csvTools, ...options });
  const provider = stack.simulator.stats();
  await stack.flush();
  const id = sqlString(summary.runId);
  const runs = await stack.rows<RunRow>(
    `SELECT *, toString(CostUsd) AS Cost, toString(SavedCostUsd) AS Saved FROM runs WHERE RunId = ${id}`,
  );
  const steps = await stack.rows<StepRow>(`SELECT * FROM steps WHERE RunId = ${id} ORDER BY Timestamp`);
  const calls = await stack.rows<CallRow>(`SELECT *, toString(CostUsd) AS Cost FROM llm_calls WHERE RunId = ${id} ORDER BY Timestamp, Attempt`);
  const failures = await stack.rows<{ SpanName: string; Role: string; FailureClass: string; FailureReason: string; Outcome: string; Attempt: number }>(
    `SELECT * FROM failures WHERE RunId = ${id} ORDER BY Timestamp`,
  );
  expect(runs).toHaveLength(1);
  return { summary, provider, run: runs[0]!, steps, calls, failures };
}

/** The run's stored totals equal what the provider reported, priced at list prices, and the RunSummary's totals. */
function expectTotalsAgree(summary: RunSummary, run: RunRow, models: Parameters<typeof providerTotals>[0]) {
  const expected = providerTotals(models);
  const tokens = { input: expected.input, output: expected.output, cacheRead: expected.cacheRead, cacheWrite: expected.cacheWrite, reasoning: expected.reasoning };
  expect({
    input: Number(run.InputTokens),
    output: Number(run.OutputTokens),
    cacheRead: Number(run.CacheReadTokens),
    cacheWrite: Number(run.CacheWriteTokens),
    reasoning: Number(run.ReasoningTokens),
  }).toEqual(tokens);
  expect(summary.totals.tokens).toEqual({ ...tokens, total: expected.input + expected.output });
  // Exact decimals: stored sum, executor total and independent list-price arithmetic.
  expect(fromPico(toPico(run.Cost ?? '0'))).toBe(fromPico(expected.costPico));
  expect(fromPico(toPico(summary.totals.costUsd!))).toBe(fromPico(expected.costPico));
}

const byNode = (summary: RunSummary) => Object.fromEntries(summary.steps.map((s) => [s.nodeId, s]));
const sumPico = (values: Array<string | null>) => values.reduce((total, v) => total + toPico(v ?? '0'), 0n);

describe('seed 004 §12 checklist through the embedded pipeline', () => {
  // Forced errors: the summary's first OpenAI call is rate limited (retried), its second gets a
  // 503 (falls back to Anthropic); the deep analysis' Anthropic call gets a 500 (falls back to OpenAI).
  const faults: SimulatorConfig = {
    faults: [
      { model: GPT_MINI, calls: [1], fault: 'rate_limit', retryAfterMs: 1 },
      { model: GPT_MINI, calls: [2], fault: 'unavailable' },
      { model: SONNET, calls: [1], fault: 'server_error' },
    ],
  };
  // Long notes make a long summary, so the router takes the deep branch.
  const deepInputs = { notes: `Quarterly research notes ${randomUUID()}. [[sim:tokens=700]]` };
  let first: Awaited<ReturnType<typeof runStored>>;

  beforeAll(async () => {
    first = await runStored(research, { inputs: deepInputs, simulator: faults, cache: true });
  });

  it('stores one step span per executed node with latency, and per-step tokens and cost equal to the run summary', () => {
    const { summary, steps, calls } = first;
    expect(summary.status).toBe('succeeded');
    const executed = summary.steps.filter((s) => s.status !== 'skipped');
    expect(steps.map((s) => s.NodeId).sort()).toEqual(executed.map((s) => s.nodeId).sort());
    for (const step of executed) {
      const row = steps.find((s) => s.StepId === step.stepId)!;
      expect(row).toMatchObject({ NodeId: step.nodeId, NodeType: step.type });
      expect(row.LatencyMs).toBeGreaterThan(0);
      const own = calls.filter((c) => c.StepId === step.stepId);
      expect(own).toHaveLength(step.type === 'llm' ? step.attempts : 0);
      if (step.type !== 'llm') continue;
      expect(own.reduce((n, c) => n + Number(c.InputTokens), 0)).toBe(step.tokens.input);
      expect(own.reduce((n, c) => n + Number(c.OutputTokens), 0)).toBe(step.tokens.output);
      expect(fromPico(sumPico(own.map((c) => c.Cost)))).toBe(fromPico(toPico(step.costUsd!)));
      // Each attempt's latency is inside its step's.
      for (const call of own) expect(call.LatencyMs).toBeLessThanOrEqual(row.LatencyMs);
    }
  });

  it('shows retries and fallbacks as attempt rows, and the failed attempts as recovered failures', () => {
    const { summary, run, calls, failures } = first;
    const steps = byNode(summary);
    expect(steps.summarize).toMatchObject({ attempts: 3, retries: 1, fallbackUsed: true, provider: 'anthropic', model: HAIKU });
    expect(steps.deep).toMatchObject({ attempts: 2, fallbackUsed: true, provider: 'openai', model: GPT_4O });
    const attempts = (stepId: string | undefined) =>
      calls.filter((c) => c.StepId === stepId).map((c) => [c.RequestModel, Number(c.Attempt), c.FallbackFrom, c.StatusCode, c.FailureReason]);
    expect(attempts(steps.summarize!.stepId)).toEqual([
      [GPT_MINI, 1, '', 'Error', 'rate_limit'],
      [GPT_MINI, 2, '', 'Error', 'overloaded'],
      [HAIKU, 3, `openai/${GPT_MINI}`, 'Unset', ''],
    ]);
    expect(attempts(steps.deep!.stepId)).toEqual([
      [SONNET, 1, '', 'Error', 'provider_error'],
      [GPT_4O, 2, `anthropic/${SONNET}`, 'Unset', ''],
    ]);
    expect(run).toMatchObject({ Status: 'succeeded', LlmCalls: 5, Retries: 1, Fallbacks: 2, CacheHits: 0 });
    expect(failures.map((f) => [f.Role, f.FailureClass, f.FailureReason, f.Outcome])).toEqual([
      ['llm', 'model', 'rate_limit', 'recovered'],
      ['llm', 'model', 'overloaded', 'recovered'],
      ['llm', 'model', 'provider_error', 'recovered'],
    ]);
    expect(summary.totals).toMatchObject({ retries: 1, fallbacks: 2, cacheHits: 0, llmCalls: 5 });
  });

  it('routes long summaries to the deep branch', () => {
    const decide = first.steps.find((s) => s.NodeId === 'decide')!;
    expect(decide).toMatchObject({ NodeType: 'router', RouterBranch: 'deep' });
    expect(byNode(first.summary).decide!.branch).toBe('deep');
    expect(first.steps.some((s) => s.NodeId === 'shallow')).toBe(false);
  });

  it('prices the run exactly: stored totals = provider-reported usage at list prices = RunSummary totals', () => {
    expect(Object.keys(first.provider.models).sort()).toEqual([GPT_4O, GPT_MINI, HAIKU, SONNET].sort());
    expectTotalsAgree(first.summary, first.run, first.provider.models);
  });

  it('answers the repeated run from the cache: no provider call, cost 0, the saving recorded', async () => {
    const again = await runStored(research, { inputs: deepInputs, cache: true });
    expect(again.provider.calls).toBe(0);
    expect(again.summary.totals).toMatchObject({ cacheHits: 2, llmCalls: 0, costUsd: '0' });
    expect(again.run).toMatchObject({ Status: 'succeeded', CacheHits: 2, LlmCalls: 0 });
    expect(toPico(again.run.Cost ?? '0')).toBe(0n);
    // The cache saved exactly what the answering attempts of the first run cost.
    const answering = first.calls.filter((c) => c.StatusCode !== 'Error');
    expect(toPico(again.run.Saved!)).toBeGreaterThan(0n);
    expect(fromPico(toPico(again.run.Saved!))).toBe(fromPico(sumPico(answering.map((c) => c.Cost))));
    expect(again.calls.map((c) => [c.CacheHit, c.StatusCode])).toEqual([
      [1, 'Unset'],
      [1, 'Unset'],
    ]);
    expect(again.steps.filter((s) => Number(s.CacheHit) === 1).map((s) => s.NodeId).sort()).toEqual(['deep', 'summarize']);
    expectTotalsAgree(again.summary, again.run, again.provider.models);
  });

  it('routes short summaries to the shallow branch', async () => {
    const shallow = await runStored(research, { inputs: { notes: `Short notes ${randomUUID()}.` } });
    expect(shallow.steps.find((s) => s.NodeId === 'decide')?.RouterBranch).toBe('shallow');
    expect(shallow.steps.map((s) => s.NodeId).sort()).toEqual(['decide', 'research', 'shallow', 'summarize']);
    expectTotalsAgree(shallow.summary, shallow.run, shallow.provider.models);
  });

  it('runs the CSV demo (parallel tools, two llm steps) with exact totals', async () => {
    const csv = await runStored(await fastDemoSpec(CSV), {
      inputs: { audience: `the board (${randomUUID()})` },
      simulator: { faults: [{ model: GPT_MINI, calls: [2], fault: 'overloaded' }] },
    });
    expect(csv.run).toMatchObject({ Status: 'succeeded', Steps: 6, LlmCalls: 3, ToolCalls: 4, Fallbacks: 1 });
    expect(byNode(csv.summary).writeup).toMatchObject({ fallbackUsed: true, provider: 'anthropic' });
    expectTotalsAgree(csv.summary, csv.run, csv.provider.models);
  });
});

describe('limits through the embedded pipeline', () => {
  const limited = (patch: (spec: WorkflowSpec) => void) => fastDemoSpec(RESEARCH, patch);
  const inputs = () => ({ notes: `Limit notes ${randomUUID()}.` });

  it.each([
    ['maxTokens', (spec: WorkflowSpec): void => { spec.limits = { ...spec.limits, maxTokens: 20 }; }, 'limit_exceeded'],
    ['maxNodes', (spec: WorkflowSpec): void => { spec.limits = { ...spec.limits, maxNodes: 2 }; }, 'limit_exceeded'],
    ['budget.hardUsd', (spec: WorkflowSpec): void => { spec.budget = { hardUsd: 0.000001 }; }, 'budget_exceeded'],
  ] as const)('fails the run when %s is passed, with the reason stored on the run', async (_limit, patch, reason) => {
    const { summary, run, provider } = await runStored(await limited(patch), { inputs: inputs() });
    expect(summary).toMatchObject({ status: 'failed', failureReason: reason });
    expect(run).toMatchObject({ Status: 'failed', FailureReason: reason, FailureClass: 'orchestration' });
    expectTotalsAgree(summary, run, provider.models);
  });
});
