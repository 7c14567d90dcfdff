// Compiles a workflow plan to a LangGraph StateGraph. Every node is a graph node that
// either runs or records itself skipped, so joins never wait for a branch not taken.
// Sequential (default): one chain in topological order, one node per superstep.
// Parallel (opt-in): the workflow's own edges; a node with several parents waits for all
// of them (a LangGraph barrier edge), and independent nodes share a superstep.
import { END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { WorkflowPlan } from './plan.ts';
import { RunState, type RunStateUpdate, type RunStateValue } from './state.ts';

/** Runs (or skips) one node and returns its state update. */
export type NodeExecutor = (nodeId: string, state: RunStateValue, config: LangGraphRunnableConfig) => Promise<RunStateUpdate>;

export interface CompileOptions {
  parallel: boolean;
  checkpointer: BaseCheckpointSaver;
}

export function compileWorkflow(plan: WorkflowPlan, execute: NodeExecutor, options: CompileOptions) {
  // LangGraph's builder types track node names as literal types; a generated graph has
  // arbitrary names, so it is built through the untyped surface.
  const graph = new StateGraph(RunState) as unknown as StateGraph<typeof RunState.spec, RunStateValue, RunStateUpdate, string>;
  for (const id of plan.order) {
    graph.addNode(id, (state: RunStateValue, config: LangGraphRunnableConfig) => execute(id, state, config));
  }
  if (options.parallel) {
    graph.addEdge(START, plan.entry);
    for (const id of plan.order) {
      const parents = (plan.incoming.get(id) ?? []).map((edge) => edge.from);
      if (parents.length === 1) graph.addEdge(parents[0]!, id);
      else if (parents.length > 1) graph.addEdge(parents, id);
      if ((plan.outgoing.get(id) ?? []).length === 0) graph.addEdge(id, END);
    }
  } else {
    const chain = [START, ...plan.order, END];
    for (let i = 1; i < chain.length; i++) graph.addEdge(chain[i - 1]!, chain[i]!);
  }
  return graph.compile({ checkpointer: options.checkpointer });
}

export type CompiledWorkflow = ReturnType<typeof compileWorkflow>;
