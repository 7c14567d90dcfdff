// Compiles a workflow plan to a LangGraph StateGraph: one graph node per workflow node,
// plus a scheduler node that runs between supersteps and, from the state alone, records
// the nodes no taken edge reaches as skipped and starts the nodes whose parents have all
// settled — one at a time in topological order (sequential, the default) or all of them
// in one superstep (parallel, opt-in).
//
// Why a scheduler instead of one static LangGraph edge per workflow edge: LangGraph keeps
// the writes of a task that was aborted half-way through its edge writers (a parallel
// sibling failed, the run was cancelled), and on resume counts that task as done, so a
// join behind a static barrier edge would never fire. Deciding from the recorded steps
// makes a resumed run continue correctly whatever trigger writes were lost.
import { Command, END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { WorkflowPlan } from './plan.ts';
import { RunState, type RunStateUpdate, type RunStateValue, type StepSummary } from './state.ts';

/** The scheduler's graph node; workflow node ids cannot contain '@'. */
export const SCHEDULER = '@scheduler';

/** Runs one node and returns its state update. */
export type NodeExecutor = (nodeId: string, state: RunStateValue, config: LangGraphRunnableConfig) => Promise<RunStateUpdate>;

export interface CompileOptions {
  parallel: boolean;
  /** None: the run is not checkpointed (it cannot be resumed). */
  checkpointer?: BaseCheckpointSaver;
  /** Told about each node the scheduler records as skipped. */
  onSkipped(step: StepSummary): void;
}

export function compileWorkflow(plan: WorkflowPlan, execute: NodeExecutor, options: CompileOptions) {
  // LangGraph's builder types track node names as literal types; a generated graph has
  // arbitrary names, so it is built through the untyped surface.
  const graph = new StateGraph(RunState) as unknown as StateGraph<typeof RunState.spec, RunStateValue, RunStateUpdate, string>;
  // The scheduler records the skips and routes in one go (a Command): a conditional edge
  // would re-read the whole state after the node, which costs a channel copy per superstep.
  graph.addNode(
    SCHEDULER,
    (state: RunStateValue) => {
      const { skipped, ready } = plan.schedule(state.steps, options.parallel);
      for (const step of skipped) options.onSkipped(step);
      return new Command({
        update: { steps: Object.fromEntries(skipped.map((step) => [step.nodeId, step])) },
        goto: ready.length ? ready : END,
      });
    },
    { ends: [...plan.order, END] },
  );
  for (const id of plan.order) {
    graph.addNode(id, (state: RunStateValue, config: LangGraphRunnableConfig) =>
      // A node already recorded (a resumed run) is never run twice.
      state.steps[id] ? Promise.resolve({}) : execute(id, state, config),
    );
    graph.addEdge(id, SCHEDULER);
  }
  graph.addEdge(START, SCHEDULER);
  return graph.compile({ checkpointer: options.checkpointer });
}

export type CompiledWorkflow = ReturnType<typeof compileWorkflow>;

/** Supersteps a run can take: a node and the scheduler after it, per node. */
export function recursionLimitFor(plan: WorkflowPlan): number {
  return 2 * plan.order.length + 5;
}
