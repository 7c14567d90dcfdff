// The execution plan of a validated workflow: topological order, each node's incoming
// edges with their compiled conditions, and the rule that decides whether a node runs.
import { compileExpression, type CompiledExpression } from '../spec/expression.ts';
import type { WorkflowEdge, WorkflowNode, WorkflowSpec } from '../spec/types.ts';
import { skippedStep, type StepSummary } from './state.ts';

export interface PlannedEdge {
  from: string;
  to: string;
  when?: CompiledExpression;
}

export type Activation = { active: true } | { active: false; reason: string };

/** Kahn's algorithm; ties keep the order of `nodes` in the file, so runs are deterministic. */
export function topologicalOrder(nodes: readonly WorkflowNode[], edges: readonly WorkflowEdge[]): string[] {
  const indegree = new Map(nodes.map((node) => [node.id, 0]));
  for (const edge of edges) indegree.set(edge.to, (indegree.get(edge.to) ?? 0) + 1);
  const position = new Map(nodes.map((node, index) => [node.id, index]));
  const children = new Map<string, string[]>(nodes.map((node) => [node.id, []]));
  for (const edge of edges) children.get(edge.from)?.push(edge.to);
  const ready = nodes.filter((node) => indegree.get(node.id) === 0).map((node) => node.id);
  const order: string[] = [];
  while (ready.length) {
    ready.sort((a, b) => position.get(a)! - position.get(b)!);
    const id = ready.shift()!;
    order.push(id);
    for (const to of children.get(id) ?? []) {
      const remaining = indegree.get(to)! - 1;
      indegree.set(to, remaining);
      if (remaining === 0) ready.push(to);
    }
  }
  if (order.length !== nodes.length) throw new Error('workflow graph has a cycle (validate it first)');
  return order;
}

export class WorkflowPlan {
  readonly order: string[];
  readonly nodes: ReadonlyMap<string, WorkflowNode>;
  readonly incoming: ReadonlyMap<string, PlannedEdge[]>;
  readonly outgoing: ReadonlyMap<string, PlannedEdge[]>;
  /** Incoming edges and children's positions by position in `order`, for the scheduler's scan. */
  private readonly incomingAt: PlannedEdge[][];
  private readonly childrenAt: number[][];
  private readonly position: ReadonlyMap<string, number>;

  constructor(readonly spec: WorkflowSpec) {
    this.nodes = new Map(spec.nodes.map((node) => [node.id, node]));
    this.order = topologicalOrder(spec.nodes, spec.edges);
    const incoming = new Map(spec.nodes.map((node) => [node.id, [] as PlannedEdge[]]));
    const outgoing = new Map(spec.nodes.map((node) => [node.id, [] as PlannedEdge[]]));
    for (const edge of spec.edges) {
      const planned: PlannedEdge = { from: edge.from, to: edge.to, when: edge.when ? compileExpression(edge.when) : undefined };
      incoming.get(edge.to)!.push(planned);
      outgoing.get(edge.from)!.push(planned);
    }
    this.incoming = incoming;
    this.outgoing = outgoing;
    this.incomingAt = this.order.map((id) => incoming.get(id)!);
    const position = new Map(this.order.map((id, index) => [id, index]));
    this.position = position;
    this.childrenAt = this.order.map((id) => outgoing.get(id)!.map((edge) => position.get(edge.to)!));
  }

  get entry(): string {
    return this.spec.entry;
  }

  node(id: string): WorkflowNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`unknown node '${id}'`);
    return node;
  }

  /**
   * A node runs when it is the entry, or when at least one incoming edge is taken: its
   * source succeeded and its `when` (if any) holds for the source's branch and output.
   * Throws when a condition fails to evaluate.
   */
  activation(id: string, steps: Record<string, StepSummary>): Activation {
    return this.activationIn(id, (source) => steps[source]);
  }

  private activationIn(id: string, recordOf: (id: string) => StepSummary | undefined): Activation {
    if (id === this.entry) return { active: true };
    const notTaken: string[] = [];
    for (const edge of this.incoming.get(id) ?? []) {
      const source = recordOf(edge.from);
      if (source?.status !== 'succeeded') {
        notTaken.push(`${edge.from} was ${source?.status ?? 'not run'}`);
        continue;
      }
      if (!edge.when || edge.when.evaluate({ branch: source.branch, output: source.output })) return { active: true };
      notTaken.push(`${edge.from} → ${id}: ${edge.when.source} is false (branch ${JSON.stringify(source.branch ?? null)})`);
    }
    return { active: false, reason: `no incoming edge taken (${notTaken.join('; ')})` };
  }

  /**
   * What to do next, derived from the state alone (so it is right after any resume):
   * nodes whose parents have all settled are either skipped (no incoming edge taken,
   * which may settle their children in turn) or ready. A condition that fails to
   * evaluate makes the node ready, so it fails as a step with that error.
   */
  schedule(steps: Record<string, StepSummary>, parallel: boolean): { skipped: StepSummary[]; ready: string[] } {
    return this.scan(steps, parallel, {}, 0);
  }

  /**
   * `schedule` once node `id` — the only node of its superstep — has settled with the records
   * in `own`, which are not merged into `steps` yet. Nothing before `id` in topological order
   * was ready or skippable when it started, so only the nodes after it are looked at; in
   * parallel mode nothing else was ready either, so only its descendants through skips can
   * have changed.
   */
  scheduleAfter(id: string, steps: Record<string, StepSummary>, own: Record<string, StepSummary>, parallel: boolean): { skipped: StepSummary[]; ready: string[] } {
    const at = this.position.get(id)!;
    let candidates: Uint8Array | undefined;
    if (parallel) {
      candidates = new Uint8Array(this.order.length);
      for (const child of this.childrenAt[at]!) candidates[child] = 1;
    }
    return this.scan(steps, parallel, own, at + 1, candidates);
  }

  private scan(
    steps: Record<string, StepSummary>,
    parallel: boolean,
    recent: Record<string, StepSummary>,
    from: number,
    candidates?: Uint8Array,
  ): { skipped: StepSummary[]; ready: string[] } {
    // Runs after every superstep: lookups go through the layers instead of merging them.
    const skippedNow: Record<string, StepSummary> = {};
    const recordOf = (id: string) => steps[id] ?? recent[id] ?? skippedNow[id];
    const skipped: StepSummary[] = [];
    const ready: string[] = [];
    for (let i = from; i < this.order.length; i++) {
      if (candidates && !candidates[i]) continue;
      const id = this.order[i]!;
      if (recordOf(id)) continue;
      if (!this.incomingAt[i]!.every((edge) => recordOf(edge.from))) continue;
      let activation: Activation;
      try {
        activation = this.activationIn(id, recordOf);
      } catch {
        activation = { active: true };
      }
      if (activation.active) {
        ready.push(id);
        if (!parallel) break;
      } else {
        const record = skippedStep(this.node(id), activation.reason);
        skippedNow[id] = record;
        skipped.push(record);
        if (candidates) for (const child of this.childrenAt[i]!) candidates[child] = 1;
      }
    }
    return { skipped, ready };
  }
}
