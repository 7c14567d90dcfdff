// Configuration of the workflow service (workflow API + run scheduler), validated once at
// the edge with messages that name the offending setting.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod/v4';
import type { FlowTraceConfig } from '../core/config.ts';
import { limitMaximaFromEnv } from '../executor/guardrails/config.ts';

const positiveInt = z.number().int().positive();

export const LimitMaximaSchema = z
  .object({
    maxNodes: positiveInt.optional(),
    maxTokens: positiveInt.optional(),
    timeoutSeconds: z.number().positive().optional(),
    budgetUsd: z.number().positive().optional(),
  })
  .strict();

export const WorkflowServiceConfigSchema = z
  .object({
    /** Runs executing at once; further accepted runs wait in the queue. */
    concurrency: positiveInt.default(4),
    /** Worker threads the runs execute on (the API, the scheduler and ingest keep the main thread): one core per worker, the last for the rest. */
    runWorkers: positiveInt.default(Math.max(1, availableParallelism() - 1)),
    /** Accepted runs waiting for a free slot; beyond this a start request gets 429 with Retry-After. */
    maxQueuedRuns: z.number().int().min(0).default(100),
    /** Largest request body of the workflow API; larger requests get 413. */
    maxBodyBytes: positiveInt.default(1024 * 1024),
    /** Most nodes a workflow graph may have; more is refused with 400. */
    maxGraphNodes: positiveInt.default(200),
    /** Maxima for a workflow's own limits and budget (executor defaults: 200 nodes, 2M tokens, 3600 s, 1000 USD). */
    limits: LimitMaximaSchema.default({}),
    /** Where run checkpoints live (`<dir>/<run id>/`), so runs survive a restart. */
    checkpointDir: z.string().min(1),
    /** On shutdown, how long running runs may take to finish before they are interrupted (and resumed at the next start). */
    shutdownGraceMs: z.number().int().min(0).default(5_000),
    /** Finished runs whose state stays in memory for fast status reads (older ones are read from storage). */
    rememberedRuns: positiveInt.default(10_000),
    /** Put the demo workflows into every project that has none of them yet on start (the default project). */
    seedDemos: z.boolean().default(true),
  })
  .strict();

/** What callers pass; createWorkflowService validates it. */
export type WorkflowServiceConfig = z.input<typeof WorkflowServiceConfigSchema>;
export type ResolvedWorkflowServiceConfig = z.output<typeof WorkflowServiceConfigSchema>;

export class WorkflowServiceConfigError extends Error {
  override name = 'WorkflowServiceConfigError';
}

export function resolveWorkflowServiceConfig(config: WorkflowServiceConfig): ResolvedWorkflowServiceConfig {
  const result = WorkflowServiceConfigSchema.safeParse(config);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new WorkflowServiceConfigError(`invalid workflow service configuration:\n  ${lines.join('\n  ')}`);
}

/** Environment variables of the service and the setting each one sets. */
const ENV_SETTINGS: ReadonlyArray<[string, 'concurrency' | 'runWorkers' | 'maxQueuedRuns' | 'maxGraphNodes' | 'maxBodyBytes' | 'shutdownGraceMs']> = [
  ['FLOWTRACE_RUN_CONCURRENCY', 'concurrency'],
  ['FLOWTRACE_RUN_WORKERS', 'runWorkers'],
  ['FLOWTRACE_RUN_QUEUE_SIZE', 'maxQueuedRuns'],
  ['FLOWTRACE_MAX_GRAPH_NODES', 'maxGraphNodes'],
  ['FLOWTRACE_MAX_BODY_BYTES', 'maxBodyBytes'],
  ['FLOWTRACE_SHUTDOWN_GRACE_MS', 'shutdownGraceMs'],
];

/** The service configuration of a FlowTrace process: checkpoints under its home, limits and overrides from the environment. */
export function workflowServiceConfigFrom(config: Pick<FlowTraceConfig, 'home'>, env: NodeJS.ProcessEnv = process.env): WorkflowServiceConfig {
  const settings: WorkflowServiceConfig = { checkpointDir: join(config.home, 'checkpoints'), limits: limitMaximaFromEnv(env) };
  for (const [name, key] of ENV_SETTINGS) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    if (!/^\d+$/.test(raw.trim())) throw new WorkflowServiceConfigError(`${name}: expected a whole number, got "${raw}"`);
    settings[key] = Number(raw);
  }
  return settings;
}
