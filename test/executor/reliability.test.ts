// Seed 004 §9: run success ≥ 95% on the demo flows with retries and fallbacks, under a
// provider that fails 20% of calls with transient faults (seeded, so the same calls fail on
// every run of this test). Every failure that reaches the store is classified, and the
// stored totals still equal what the provider reported.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow, type RunSummary, type WorkflowSpec } from '../../executor/index.ts';
import type { FaultKind, SimulatorStats } from '../../executor/simulator/index.ts';
import { CSV, RESEARCH, csvTools, fastDemoSpec } from './support/demo-specs.ts';
import { fromPico, providerTotals, toPico } from './support/list-prices.ts';
import { sqlString, startExecutorStack, type ExecutorStack } from './support/stack.ts';

const RUNS = 100;
const CONCURRENCY = 4;
const FAULT_RATE = 0.2;
const TRANSIENT: FaultKind[] = ['rate_limit', 'server_error', 'unavailable', 'overloaded', 'drop', 'malformed'];

let stack: ExecutorStack;
beforeAll(async () => {
  stack = await startExecutorStack();
});
afterAll(() => stack?.close());

async function runMany(spec: WorkflowSpec, inputs: (i: number) => Record<string, unknown>): Promise<RunSummary[]> {
  const runner = stack.runner();
  const summaries: RunSummary[] = [];
  let next = 0;
  const worker = async () => {
    while (next < RUNS) {
      const i = next++;
      summaries.push(await runWorkflow(spec, { runner, telemetry: stack.telemetry, tools: csvTools, inputs: inputs(i) }));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return summaries;
}

const idList = (summaries: RunSummary[]) => summaries.map((s) => sqlString(s.runId)).join(', ');

async function checkReliability(summaries: RunSummary[], provider: SimulatorStats) {
  await stack.flush();
  const ids = idList(summaries);
  // The simulator really failed about a fifth of the calls.
  expect(provider.faults / provider.calls).toBeGreaterThan(FAULT_RATE / 2);
  expect(provider.faults / provider.calls).toBeLessThan(FAULT_RATE * 1.5);

  const succeeded = summaries.filter((s) => s.status === 'succeeded').length;
  expect(succeeded / RUNS).toBeGreaterThanOrEqual(0.95);
  expect(summaries.reduce((n, s) => n + s.totals.retries + s.totals.fallbacks, 0)).toBeGreaterThan(0);

  const runs = await stack.rows<{ RunId: string; Status: string; FailureClass: string; FailureReason: string }>(
    `SELECT RunId, Status, FailureClass, FailureReason FROM runs WHERE RunId IN (${ids})`,
  );
  expect(runs).toHaveLength(RUNS);
  const status = new Map(runs.map((r) => [r.RunId, r]));
  for (const summary of summaries) {
    const row = status.get(summary.runId)!;
    expect(row.Status).toBe(summary.status);
    if (summary.status !== 'succeeded') {
      expect(row.FailureReason).toBe(summary.failureReason);
      expect(row.FailureClass).not.toBe('');
      expect(row.FailureReason).not.toMatch(/^(|unknown)$/);
    }
  }

  const failures = await stack.rows<{ RunId: string; SpanName: string; FailureClass: string; FailureReason: string; Outcome: string }>(
    `SELECT RunId, SpanName, FailureClass, FailureReason, Outcome FROM failures WHERE RunId IN (${ids})`,
  );
  // Every faulted call is a failed attempt span (a drop or a cut body included).
  expect(failures.filter((f) => f.SpanName.startsWith('chat ')).length).toBe(provider.faults);
  for (const failure of failures) {
    expect(failure.FailureClass, `${failure.SpanName} has a class`).not.toBe('');
    expect(failure.FailureReason, `${failure.SpanName} has a reason`).not.toMatch(/^(|unknown)$/);
    if (status.get(failure.RunId)!.Status === 'succeeded') expect(failure.Outcome).toBe('recovered');
  }

  // Totals stay exact under retries and fallbacks.
  const [sums] = await stack.rows<{ input: number; output: number; cost: string }>(
    `SELECT sum(InputTokens) AS input, sum(OutputTokens) AS output, toString(sum(CostUsd)) AS cost FROM runs WHERE RunId IN (${ids})`,
  );
  const expected = providerTotals(provider.models);
  expect([Number(sums!.input), Number(sums!.output)]).toEqual([expected.input, expected.output]);
  expect(fromPico(toPico(sums!.cost))).toBe(fromPico(expected.costPico));
}

describe(`${RUNS} runs of each demo with ${FAULT_RATE * 100}% transient faults`, () => {
  const faults = (seed: number) => ({ seed, faults: [{ rate: FAULT_RATE, fault: TRANSIENT, retryAfterMs: 1 }] });

  it('Research→Summarize→Decide→Deep: ≥ 95% succeed, every failure classified', async () => {
    stack.resetSimulator(faults(4));
    const spec = await fastDemoSpec(RESEARCH);
    // Every other run has long notes, so both branches (and the deep analysis' models) are exercised.
    const summaries = await runMany(spec, (i) => ({ notes: `Notes ${i} ${randomUUID()}.${i % 2 ? ' [[sim:tokens=700]]' : ''}` }));
    const deep = summaries.filter((s) => s.steps.some((step) => step.nodeId === 'deep' && step.status !== 'skipped')).length;
    expect(deep).toBeGreaterThan(RUNS / 4);
    await checkReliability(summaries, stack.simulator.stats());
  });

  it('CSV→Analysis→Write-up: ≥ 95% succeed, every failure classified', async () => {
    stack.resetSimulator(faults(9));
    const spec = await fastDemoSpec(CSV);
    const summaries = await runMany(spec, (i) => ({ audience: `reader ${i} ${randomUUID()}` }));
    await checkReliability(summaries, stack.simulator.stats());
  });
});
