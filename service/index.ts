// The workflow service's public API: compose it with createWorkflowService, mount it in the
// read API (createTailServer({ …, workflows })).
export { createWorkflowService, type WorkflowService, type WorkflowServiceDeps } from './workflow-service.ts';
export { createWorkflowRuntime, executeRun, type WorkflowRuntime, type WorkflowRuntimeOptions } from './runner/runtime.ts';
export {
  WorkflowServiceConfigError,
  resolveWorkflowServiceConfig,
  workflowServiceConfigFrom,
  type WorkflowServiceConfig,
} from './config.ts';
export { runDetail, RunDetailSchema, type RunDetail } from './scheduler/run-detail.ts';
export type { RunRecord, RunState } from './scheduler/run-state-store.ts';
