// The scheduler against a reference: random workflows (chains, fan-outs, joins, routers
// gating edges) run sequentially, in parallel and with file checkpoints (a freshly compiled
// graph each run), and every run must execute exactly the nodes a straightforward
// topological evaluation says are active, each once, skipping the rest.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow, type RunSummary, type WorkflowSpec } from '../../executor/index.ts';
import { captureTelemetry, type CapturedTelemetry } from '../../executor/telemetry/test-support.ts';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Edge {
  from: string;
  to: string;
  when?: string;
}

/** A random DAG in file order: every node has a parent before it; routers gate their out-edges by branch. */
function randomWorkflow(seed: number, parallel: boolean): WorkflowSpec {
  const next = random(seed);
  const count = 6 + Math.floor(next() * 20);
  const nodes: Array<Record<string, unknown>> = [];
  const edges: Edge[] = [];
  const routers = new Set<string>();
  for (let i = 0; i < count; i++) {
    const id = `n${i}`;
    if (i > 0 && next() < 0.25) {
      routers.add(id);
      // The branch depends on the run input, so one workflow takes different paths.
      nodes.push({ id, type: 'router', config: { rule: `len(text) % ${2 + (i % 3)} == 0 ? 'a' : 'b'` }, inputs: { text: '{{input.word}}' } });
    } else {
      nodes.push({ id, type: 'tool', config: { tool: 'template', template: `${id}:{{input.word}}` } });
    }
    if (i === 0) continue;
    const parents = new Set([Math.floor(next() * i)]);
    while (next() < 0.35 && parents.size < i) parents.add(Math.floor(next() * i));
    for (const p of parents) {
      const from = `n${p}`;
      edges.push({ from, to: id, ...(routers.has(from) ? { when: `branch=='${next() < 0.5 ? 'a' : 'b'}'` } : {}) });
    }
  }
  return { version: '1', name: `random-${seed}`, entry: 'n0', parallel, inputs: { word: { description: 'drives the routers' } }, nodes, edges } as unknown as WorkflowSpec;
}

/** Which nodes run: the entry, and any node with an incoming edge from a node that ran whose condition holds. */
function expectedActive(spec: WorkflowSpec, branches: Map<string, string>): Set<string> {
  const active = new Set([spec.entry]);
  for (const node of spec.nodes) {
    const incoming = (spec.edges as Edge[]).filter((e) => e.to === node.id);
    const taken = incoming.some((e) => active.has(e.from) && (!e.when || e.when === `branch=='${branches.get(e.from)}'`));
    if (taken) active.add(node.id);
  }
  return active;
}

let captured: CapturedTelemetry;
/** Nodes skipped and run over all random workflows, so the test knows it exercised both. */
const seen = { skipped: 0, joins: 0 };
let dir: string;
beforeAll(async () => {
  captured = captureTelemetry();
  dir = await mkdtemp(join(tmpdir(), 'flowtrace-scheduler-'));
});
afterAll(async () => {
  await captured.telemetry.shutdown();
  await rm(dir, { recursive: true, force: true });
});

function checkAgainstReference(spec: WorkflowSpec, summary: RunSummary): void {
  expect(summary.status).toBe('succeeded');
  expect(summary.steps.map((s) => s.nodeId).sort()).toEqual(spec.nodes.map((n) => n.id).sort());
  const branches = new Map(summary.steps.filter((s) => s.branch !== undefined).map((s) => [s.nodeId, s.branch!]));
  const active = expectedActive(spec, branches);
  for (const step of summary.steps) {
    expect(step.status, `${spec.name} ${step.nodeId}`).toBe(active.has(step.nodeId) ? 'succeeded' : 'skipped');
  }
}

describe('scheduler vs a reference evaluation', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
  const words = ['ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg'];

  it.each(seeds)('random workflow %i: every mode runs exactly the active nodes, once each', async (seed) => {
    const word = words[seed % words.length]!;
    const outcomes: Array<Array<[string, string, unknown]>> = [];
    for (const [mode, parallel, checkpointed] of [['sequential', false, false], ['parallel', true, false], ['parallel, checkpointed', true, true]] as const) {
      const spec = randomWorkflow(seed, parallel);
      captured.reset();
      const summary = await runWorkflow(spec, {
        inputs: { word },
        telemetry: captured.telemetry,
        ...(checkpointed ? { checkpointDir: dir, runId: `seed-${seed}` } : {}),
      });
      checkAgainstReference(spec, summary);
      // Each executed node is one step span: nothing ran twice.
      const stepSpans = (await captured.spans()).filter((s) => s.name.startsWith('step '));
      expect(stepSpans.map((s) => s.name).sort(), mode).toEqual(summary.steps.filter((s) => s.status === 'succeeded').map((s) => `step ${s.nodeId}`).sort());
      outcomes.push(summary.steps.map((s) => [s.nodeId, s.status, s.output]));
      seen.skipped += summary.steps.filter((s) => s.status === 'skipped').length;
      seen.joins += spec.nodes.filter((n) => (spec.edges as Edge[]).filter((e) => e.to === n.id).length > 1).length;
    }
    // Same statuses and outputs whatever the mode.
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[2]).toEqual(outcomes[0]);
  });

  it('exercised skips and joins', () => {
    expect(seen.skipped).toBeGreaterThan(50);
    expect(seen.joins).toBeGreaterThan(50);
  });

  it('runs the same workflow object many times (the compiled graph is reused) without state leaking between runs', async () => {
    const spec = randomWorkflow(7, true);
    const first = await runWorkflow(spec, { inputs: { word: 'ab' }, telemetry: captured.telemetry });
    const second = await runWorkflow(spec, { inputs: { word: 'abcde' }, telemetry: captured.telemetry });
    const again = await runWorkflow(structuredClone(spec), { inputs: { word: 'ab' }, telemetry: captured.telemetry });
    checkAgainstReference(spec, first);
    checkAgainstReference(spec, second);
    expect(again.steps.map((s) => [s.nodeId, s.status, s.output])).toEqual(first.steps.map((s) => [s.nodeId, s.status, s.output]));
    // A caller changing its object after a run gets the change on the next run, not a stale graph.
    const changed = structuredClone(spec);
    (changed.nodes[0]!.config as { template: string }).template = 'changed:{{input.word}}';
    const after = await runWorkflow(changed, { inputs: { word: 'ab' }, telemetry: captured.telemetry });
    expect(after.steps.find((s) => s.nodeId === 'n0')?.output).toBe('changed:ab');
  });
});
