// Compiles a workflow plan to a LangGraph StateGraph: one graph node per workflow node,
// plus a scheduler node that, from the state alone, records the nodes no taken edge
// reaches as skipped and starts the nodes whose parents have all settled — one at a time
// in topological order (sequential, the default) or all of them in one superstep
// (parallel, opt-in). A node that ran alone in its superstep does the same for its
// successors itself, so chains do not pay a scheduler superstep per node.
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
}

/** What a compiled graph needs from the run invoking it, passed in the invoke config. */
export interface RunBinding {
  execute: NodeExecutor;
  /** Told about each node recorded as skipped. */
  onSkipped(step: StepSummary): void;
}

const BINDING_KEY = 'flowtrace_run';

/** The `configurable` entries that bind one invocation of a compiled graph to its run. */
export function bindingConfigurable(binding: RunBinding): Record<string, unknown> {
  return { [BINDING_KEY]: binding };
}

function bindingOf(config: LangGraphRunnableConfig): RunBinding {
  const binding = config.configurable?.[BINDING_KEY] as RunBinding | undefined;
  if (!binding) throw new Error('workflow graph invoked without its run binding (bindingConfigurable)');
  return binding;
}

/**
 * The graph depends on the workflow only, not on the run: a run binds its executor through
 * the invoke config, so one compiled graph serves every run of the same workflow.
 */
export function compileWorkflow(plan: WorkflowPlan, options: CompileOptions) {
  // LangGraph's builder types track node names as literal types; a generated graph has
  // arbitrary names, so it is built through the untyped surface.
  const graph = new StateGraph(RunState) as unknown as StateGraph<typeof RunState.spec, RunStateValue, RunStateUpdate, string>;
  const targets = [...plan.order, END];

  /** The skips and the next nodes as one Command: update (`update` plus the skips) and goto. */
  const route = (run: RunBinding, next: { skipped: StepSummary[]; ready: string[] }, update: Record<string, StepSummary>): Command => {
    const { skipped, ready } = next;
    for (const step of skipped) {
      run.onSkipped(step);
      update[step.nodeId] = step;
    }
    return new Command({ update: { steps: update, solo: ready.length === 1 ? ready[0] : '' }, goto: ready.length ? ready : END });
  };

  graph.addNode(
    SCHEDULER,
    (state: RunStateValue, config: LangGraphRunnableConfig) => route(bindingOf(config), plan.schedule(state.steps, options.parallel), {}),
    { ends: targets },
  );
  for (const id of plan.order) {
    graph.addNode(
      id,
      async (state: RunStateValue, config: LangGraphRunnableConfig) => {
        // A node already recorded (a resumed run) is never run twice.
        if (state.steps[id]) return new Command({ goto: SCHEDULER });
        const run = bindingOf(config);
        const own = ((await run.execute(id, state, config)).steps ?? {}) as Record<string, StepSummary>;
        // A node that ran alone in its superstep schedules the next one itself, which saves a
        // LangGraph superstep per node in chains; siblings of a fan-out leave it to the scheduler,
        // which sees all their records.
        if (state.solo !== id) return new Command({ update: { steps: own }, goto: SCHEDULER });
        return route(run, plan.scheduleAfter(id, state.steps, own, options.parallel), own);
      },
      { ends: [...targets, SCHEDULER] },
    );
  }
  graph.addEdge(START, SCHEDULER);
  return graph.compile({ checkpointer: options.checkpointer });
}

export type CompiledWorkflow = ReturnType<typeof compileWorkflow>;

/** Supersteps a run can take: at most a node and the scheduler after it, per node. */
export function recursionLimitFor(plan: WorkflowPlan): number {
  return 2 * plan.order.length + 5;
}
