// The workflow service: workflow CRUD and run scheduling, served with the read API on the
// API port. Composition only; the parts are in workflows/, scheduler/ and runner/.
import type { Router } from 'express';
import type { SpanStore } from '../storage/store.ts';
import { resolveWorkflowServiceConfig, type WorkflowServiceConfig } from './config.ts';
import { openApiPaths, operationsRouter } from './http/operation.ts';
import { RunWorkerPool } from './runner/run-worker-pool.ts';
import { SERVICE_TOOLS, type WorkflowRuntimeOptions } from './runner/runtime.ts';
import { checkpointsIn } from './scheduler/checkpoints.ts';
import { runDetailOperation } from './scheduler/run-detail.ts';
import { RunScheduler } from './scheduler/run-scheduler.ts';
import { RunStateStore } from './scheduler/run-state-store.ts';
import { runOperations } from './scheduler/routes.ts';
import { seedDemoWorkflows } from './workflows/demos.ts';
import type { GraphRules } from './workflows/graph.ts';
import { workflowOperations } from './workflows/routes.ts';
import { WorkflowStore } from './workflows/workflow-store.ts';

export interface WorkflowServiceDeps {
  /** Migrated storage (workflow_versions, workflow_runs; span_facts for run details). */
  store: SpanStore;
  /** How runs execute: spans' OTLP endpoint, providers, response cache (handed to the run workers). */
  runtime: WorkflowRuntimeOptions;
  config: WorkflowServiceConfig;
  /** Project that gets the demo workflows (the embedded single-user project). */
  defaultProjectId?: string;
}

export interface WorkflowService {
  /**
   * The workflow and run operations, and GET /api/runs/:runId (the read API's run detail
   * with the scheduler's status): mount it behind the API-key middleware (it reads
   * res.locals.projectId) and before the read API's routes.
   */
  readonly router: Router;
  /** OpenAPI paths of those operations, to merge into the API document. */
  openApiPaths(): Record<string, Record<string, unknown>>;
  /** Adds the demo workflows (first start) and queues the runs left unfinished by the last stop. */
  start(): Promise<{ seeded: string[]; recovered: number }>;
  /** Takes no more runs; running ones get the grace period, then continue at the next start; their spans are flushed. */
  stop(): Promise<void>;
}

export function createWorkflowService(deps: WorkflowServiceDeps): WorkflowService {
  const config = resolveWorkflowServiceConfig(deps.config);
  const workflows = new WorkflowStore(deps.store);
  const states = new RunStateStore(deps.store);
  const rules: GraphRules = { limits: config.limits, maxGraphNodes: config.maxGraphNodes, tools: SERVICE_TOOLS };
  const checkpoints = checkpointsIn(config.checkpointDir);
  const workers = new RunWorkerPool({ workers: config.runWorkers, runtime: deps.runtime, checkpointDir: config.checkpointDir, limits: config.limits });
  const scheduler = new RunScheduler(
    {
      states,
      execute: workers.execute,
      specOf: async (projectId, workflowId, version) => (await workflows.get(projectId, workflowId, version))?.graph,
      hasCheckpoint: checkpoints.has,
      onInterrupted: (runId) => workers.interrupt(runId),
      onFinished: checkpoints.remove,
    },
    config,
  );
  const operations = [...workflowOperations(workflows, rules), ...runOperations(workflows, scheduler), runDetailOperation(deps.store, scheduler)];
  return {
    router: operationsRouter(operations, config.maxBodyBytes),
    openApiPaths: () => openApiPaths(operations),
    async start() {
      const seeded = config.seedDemos ? await seedDemoWorkflows(workflows, deps.defaultProjectId ?? 'default', rules) : [];
      const recovered = await scheduler.recover();
      return { seeded, recovered };
    },
    async stop() {
      await scheduler.stop();
      await workers.close();
    },
  };
}
