// Request and response bodies of the workflow API. They document the API (OpenAPI) and the
// tests check real responses against them.
import { z } from 'zod/v4';
import { RUN_STATES } from './scheduler/run-state-store.ts';

const time = z.string().describe('ISO-8601 time (UTC).');
const version = z.number().int().positive();

/** Workflow ids are spec identifiers, so a graph's `id` can be one. */
export const WORKFLOW_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

export const CreateWorkflowBody = z
  .object({
    name: z.string().trim().min(1, 'expected a non-empty name').max(200, 'expected at most 200 characters'),
    description: z.string().max(4000, 'expected at most 4000 characters').optional(),
    graph_json: z
      .record(z.string(), z.unknown(), { error: (issue) => (issue.input === undefined ? 'required' : 'expected a workflow object (spec version 1)') })
      .describe('The workflow spec (executor/spec/workflow.schema.json). Its `id`, when given, becomes the workflow id.'),
  })
  .strict();

export const UpdateWorkflowBody = z
  .object({
    name: CreateWorkflowBody.shape.name.optional(),
    description: CreateWorkflowBody.shape.description,
    graph_json: z
      .record(z.string(), z.unknown(), { error: 'expected a workflow object (spec version 1)' })
      .optional()
      .describe('The new graph; the previous version\'s graph when absent.'),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'expected at least one of name, description, graph_json' });

export const StartRunBody = z
  .object({
    input_vars: z
      .record(z.string(), z.unknown(), { error: 'expected an object of input values' })
      .optional()
      .describe("Values for the workflow's declared inputs; the rest take their defaults."),
    version: version.optional().describe('Workflow version to run (default: the newest).'),
  })
  .strict();

export const WorkflowRefSchema = z.object({ id: z.string(), version });

export const WorkflowSchema = z.object({
  id: z.string(),
  version: version.describe('The version returned.'),
  latest_version: version,
  name: z.string(),
  description: z.string(),
  graph_json: z.record(z.string(), z.unknown()),
  created_at: time.describe('When this version was written.'),
  deleted_at: time.nullable().describe('When the workflow was deleted; its versions stay readable for its runs.'),
});

const InputDeclarationSchema = z.object({ description: z.string().optional(), default: z.unknown().optional(), required: z.boolean().optional() });

export const WorkflowListItemSchema = z.object({
  id: z.string(),
  latest_version: version,
  name: z.string(),
  description: z.string(),
  inputs: z.record(z.string(), InputDeclarationSchema).describe("The newest version's declared run inputs."),
  node_count: z.number().int(),
  created_at: time,
  updated_at: time,
});

export const WorkflowPageSchema = z.object({
  workflows: z.array(WorkflowListItemSchema).describe('Newest first.'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});

export const DeletedSchema = z.object({ id: z.string(), deleted: z.literal(true) });

export const ScheduledRunSchema = z.object({
  run_id: z.string(),
  workflow_id: z.string(),
  workflow_version: version,
  status: z.enum(RUN_STATES),
  failure_reason: z.string().describe('Taxonomy reason of a failed or canceled run (`cancelled`, `rate_limit`, …); empty otherwise.'),
  error: z.string(),
  queued_at: time.describe('When the run was accepted.'),
  started_at: time.nullable(),
  finished_at: time.nullable(),
});

export const StartedRunSchema = z.object({
  runId: z.string().describe('Watch it at /api/runs/{runId} and /api/runs/{runId}/stream.'),
  status: z.enum(RUN_STATES),
  workflow_id: z.string(),
  workflow_version: version,
});

export const ScheduledRunsPageSchema = z.object({
  runs: z.array(ScheduledRunSchema).describe('Newest first.'),
  next_cursor: z.string().nullable(),
});

export const ErrorSchema = z.object({ error: z.string() });
