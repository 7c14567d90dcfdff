import { describe, expect, it } from 'vitest';
import type { TokenUsage } from '../../core/span.ts';
import { FlowTraceRunError } from '../telemetry/index.ts';
import { limitMaximaFromEnv } from './config.ts';
import { RunGuard, resolveLimits, type GuardHooks, type GuardrailLimit, type RunLimits } from './guard.ts';
import { compareUsd, usdFromNumber } from './usd.ts';

const usage = (input: number, output: number): TokenUsage => ({ input, output, cacheRead: 0, cacheWrite: 0, reasoning: 0 });

function guarded(limits: Partial<RunLimits> = {}) {
  const seen: { soft: Array<[string, string]>; tripped: GuardrailLimit[]; unpriced: number } = { soft: [], tripped: [], unpriced: 0 };
  const hooks: GuardHooks = {
    onSoftBudget: (spent, limit) => seen.soft.push([spent, limit]),
    onGuardrail: (limit) => seen.tripped.push(limit),
    onUnpriced: () => (seen.unpriced += 1),
  };
  const guard = new RunGuard({ maxNodes: 10, maxTokens: 1000, timeoutSeconds: 60, hardUsd: '1', ...limits }, hooks);
  return { guard, seen };
}

function thrown(fn: () => void): FlowTraceRunError {
  try {
    fn();
  } catch (err) {
    return err as FlowTraceRunError;
  }
  throw new Error('expected a throw');
}

describe('RunGuard', () => {
  it('stops the node after maxNodes with limit_exceeded', () => {
    const { guard, seen } = guarded({ maxNodes: 2 });
    guard.beforeNode('a');
    guard.beforeNode('b');
    const error = thrown(() => guard.beforeNode('c'));
    expect(error).toMatchObject({ reason: 'limit_exceeded', message: "node 'c' would be node execution 3, above maxNodes 2" });
    expect(seen.tripped).toEqual(['max_nodes']);
    expect(guard.error).toBe(error);
  });

  it('counts input plus output tokens of every attempt', () => {
    const { guard } = guarded({ maxTokens: 100 });
    guard.addUsage(usage(40, 10), '0');
    guard.addUsage(usage(40, 10), '0');
    expect(thrown(() => guard.addUsage(usage(0, 1), '0'))).toMatchObject({
      reason: 'limit_exceeded',
      message: 'run used 101 tokens, above maxTokens 100',
    });
  });

  it('sums cost exactly and stops above the hard budget with budget_exceeded', () => {
    const { guard, seen } = guarded({ hardUsd: '0.3' });
    guard.addUsage(usage(1, 1), '0.1');
    guard.addUsage(usage(1, 1), '0.2');
    // 0.1 + 0.2 is exactly 0.3 here, not 0.30000000000000004: not above the budget.
    expect(guard.spent.usd).toBe('0.3');
    const error = thrown(() => guard.addUsage(usage(1, 1), '0.000001'));
    expect(error).toMatchObject({ reason: 'budget_exceeded', message: 'run cost $0.300001, above its hard budget of $0.3' });
    expect(seen.tripped).toEqual(['budget']);
  });

  it('warns once when the soft budget is passed, also when it and the hard one are passed together', () => {
    const { guard, seen } = guarded({ hardUsd: '1', softUsd: '0.5' });
    guard.addUsage(usage(1, 1), '0.4');
    guard.addUsage(usage(1, 1), '0.2');
    guard.addUsage(usage(1, 1), '0.2');
    expect(seen.soft).toEqual([['0.6', '0.5']]);
    const both = guarded({ hardUsd: '0.2', softUsd: '0.1' });
    thrown(() => both.guard.addUsage(usage(1, 1), '0.5'));
    expect(both.seen.soft).toEqual([['0.5', '0.1']]);
  });

  it('reports an unpriced model once and keeps counting tokens', () => {
    const { guard, seen } = guarded();
    guard.addUsage(usage(5, 5), null);
    guard.addUsage(usage(5, 5), null);
    expect(seen.unpriced).toBe(1);
    expect(guard.spent).toEqual({ nodes: 0, tokens: 20, usd: '0' });
  });

  it('counts what an interrupted attempt of the run used', () => {
    const { guard, seen } = guarded({ maxNodes: 3, softUsd: '0.5' });
    guard.restore(3, 10, '0.7');
    expect(thrown(() => guard.beforeNode('d')).reason).toBe('limit_exceeded');
    guard.addUsage(usage(1, 1), '0.1');
    // The soft warning was already given before the interruption.
    expect(seen.soft).toEqual([]);
  });

  it('aborts the run with limit_exceeded when the wall-time limit passes', async () => {
    const { guard, seen } = guarded({ timeoutSeconds: 0.05 });
    const controller = new AbortController();
    guard.startClock(controller);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toMatchObject({ reason: 'limit_exceeded', message: 'run exceeded its time limit of 0.05 s' });
    expect(seen.tripped).toEqual(['timeout']);
    guard.stopClock();
  });
});

describe('limits configuration', () => {
  const spec = { version: '1' as const, entry: 'a', nodes: [], edges: [] };
  const maxima = { maxNodes: 200, maxTokens: 2_000_000, timeoutSeconds: 3600, budgetUsd: 1000 };

  it('defaults each limit to the configured maximum', () => {
    expect(resolveLimits(spec, maxima)).toEqual({ maxNodes: 200, maxTokens: 2_000_000, timeoutSeconds: 3600, hardUsd: '1000', softUsd: undefined });
    expect(resolveLimits({ ...spec, limits: { maxNodes: 5 }, budget: { hardUsd: 0.5, softUsd: 1e-7 } }, maxima)).toMatchObject({
      maxNodes: 5,
      hardUsd: '0.5',
      softUsd: '0.0000001',
    });
  });

  it('reads maxima from the environment, naming every bad variable', () => {
    expect(limitMaximaFromEnv({ FLOWTRACE_MAX_NODES: '50', FLOWTRACE_MAX_BUDGET_USD: '2.5' })).toEqual({ ...maxima, maxNodes: 50, budgetUsd: 2.5 });
    expect(() => limitMaximaFromEnv({ FLOWTRACE_MAX_NODES: '1.5', FLOWTRACE_MAX_RUN_SECONDS: 'soon' })).toThrow(
      'FLOWTRACE_MAX_NODES: expected a positive integer, got "1.5"\nFLOWTRACE_MAX_RUN_SECONDS: expected a positive number, got "soon"',
    );
  });

  it('compares decimal amounts exactly', () => {
    expect(compareUsd('0.3', '0.30')).toBe(0);
    expect(compareUsd('0.30000000000000001', '0.3')).toBe(1);
    expect(compareUsd('2', '10')).toBe(-1);
    expect(usdFromNumber(0.1)).toBe('0.1');
  });
});
