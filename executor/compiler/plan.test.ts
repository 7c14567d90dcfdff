import { describe, expect, it } from 'vitest';
import type { WorkflowSpec } from '../spec/types.ts';
import { WorkflowPlan, topologicalOrder } from './plan.ts';
import { emptyStep, type StepSummary } from './state.ts';

const tool = (id: string) => ({ id, type: 'tool' as const, config: { tool: 'template', template: id } });

/** a → router r → (x when deep, y when shallow) → z; a → z too. */
const spec: WorkflowSpec = {
  version: '1',
  entry: 'a',
  nodes: [tool('a'), { id: 'r', type: 'router', config: { rule: "'deep'" } }, tool('x'), tool('y'), tool('z')],
  edges: [
    { from: 'a', to: 'r' },
    { from: 'r', to: 'x', when: "branch=='deep'" },
    { from: 'r', to: 'y', when: "branch=='shallow'" },
    { from: 'x', to: 'z' },
    { from: 'y', to: 'z' },
    { from: 'a', to: 'z' },
  ],
};

const done = (id: string, extra: Partial<StepSummary> = {}): StepSummary => ({
  ...emptyStep(spec.nodes.find((n) => n.id === id)!, 'succeeded'),
  ...extra,
});

describe('topologicalOrder', () => {
  it('orders parents first and keeps the file order among independent nodes', () => {
    expect(topologicalOrder(spec.nodes, spec.edges)).toEqual(['a', 'r', 'x', 'y', 'z']);
    expect(topologicalOrder([tool('b'), tool('a'), tool('c')], [{ from: 'c', to: 'b' }])).toEqual(['a', 'c', 'b']);
  });
});

describe('WorkflowPlan.schedule', () => {
  const plan = new WorkflowPlan(spec);

  it('starts with the entry, then nodes whose parents have all settled', () => {
    expect(plan.schedule({}, false)).toEqual({ skipped: [], ready: ['a'] });
    expect(plan.schedule({ a: done('a') }, true)).toEqual({ skipped: [], ready: ['r'] });
  });

  it("skips the branch the router did not choose, and waits for a join's other parents", () => {
    const { skipped, ready } = plan.schedule({ a: done('a'), r: done('r', { branch: 'deep' }) }, true);
    expect(skipped.map((s) => [s.nodeId, s.status, s.skipReason])).toEqual([
      ['y', 'skipped', 'no incoming edge taken (r → y: branch==\'shallow\' is false (branch "deep"))'],
    ]);
    // z still waits for x.
    expect(ready).toEqual(['x']);
  });

  it('runs a join when one incoming edge was taken, and cascades skips through a branch not taken', () => {
    const branchless = new WorkflowPlan({ ...spec, edges: spec.edges.filter((e) => !(e.from === 'a' && e.to === 'z')) });
    const steps = { a: done('a'), r: done('r', { branch: 'neither' }) };
    const { skipped, ready } = branchless.schedule(steps, true);
    expect(skipped.map((s) => s.nodeId)).toEqual(['x', 'y', 'z']);
    expect(ready).toEqual([]);
    expect(plan.schedule({ ...steps, x: done('x'), y: done('y') }, true).ready).toEqual(['z']);
  });

  it('hands out one node at a time in sequential mode, all ready nodes in parallel mode', () => {
    const fan = new WorkflowPlan({ version: '1', entry: 'a', nodes: [tool('a'), tool('b'), tool('c')], edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }] });
    const steps = { a: { ...emptyStep(tool('a'), 'succeeded') } };
    expect(fan.schedule(steps, false).ready).toEqual(['b']);
    expect(fan.schedule(steps, true).ready).toEqual(['b', 'c']);
  });

  it('lets a node with a failing condition run, so it fails as a step with the error', () => {
    const broken = new WorkflowPlan({ version: '1', entry: 'a', nodes: [tool('a'), tool('b')], edges: [{ from: 'a', to: 'b', when: 'output["k"] == 1' }] });
    const steps = { a: { ...emptyStep(tool('a'), 'succeeded'), output: null } };
    expect(() => broken.activation('b', steps)).toThrow(/Cannot read properties of null/);
    expect(broken.schedule(steps, true).ready).toEqual(['b']);
  });
});
