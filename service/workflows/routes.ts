// Workflow CRUD (seed 004 §5): create, list, read (any version), update (= new version),
// soft delete. Every graph is validated with the executor's schema and checks on write.
import { z } from 'zod/v4';
import { cursor, encodeCursor, integer } from '../../tail/http/params.ts';
import { HttpError } from '../http/errors.ts';
import { defineOperation, type Operation } from '../http/operation.ts';
import {
  CreateWorkflowBody,
  DeletedSchema,
  ErrorSchema,
  UpdateWorkflowBody,
  WORKFLOW_ID,
  WorkflowPageSchema,
  WorkflowRefSchema,
  WorkflowSchema,
} from '../schemas.ts';
import { prepareGraph, workflowIdFor, type GraphRules } from './graph.ts';
import { WorkflowConflictError, type WorkflowListItem, type WorkflowStore, type WorkflowVersion } from './workflow-store.ts';

export const workflowIdParams = z.object({
  id: z.string().regex(WORKFLOW_ID, 'expected a workflow id (a letter or _, then letters, digits, _ or -; at most 128)').describe('Workflow id.'),
});

const iso = (ms: number) => new Date(ms).toISOString();

const notFound = { 404: { description: 'No such workflow (or version) in the project.', schema: ErrorSchema } };
const gone = { 410: { description: 'The workflow was deleted.', schema: ErrorSchema } };

export function workflowView(w: WorkflowVersion): z.output<typeof WorkflowSchema> {
  return {
    id: w.id,
    version: w.version,
    latest_version: w.latestVersion,
    name: w.name,
    description: w.description,
    graph_json: w.graph as unknown as Record<string, unknown>,
    created_at: iso(w.createdAt),
    deleted_at: w.deletedAt === undefined ? null : iso(w.deletedAt),
  };
}

function listItemView(w: WorkflowListItem) {
  return {
    id: w.id,
    latest_version: w.latestVersion,
    name: w.name,
    description: w.description,
    inputs: w.graph.inputs ?? {},
    node_count: w.graph.nodes.length,
    created_at: iso(w.createdAt),
    updated_at: iso(w.updatedAt),
  };
}

/**
 * The version a request names (default: the newest) of a workflow that exists: 404 for an
 * unknown workflow or version, 410 for a deleted workflow's newest version.
 */
export async function requireWorkflow(workflows: WorkflowStore, projectId: string, id: string, version?: number): Promise<WorkflowVersion> {
  const found = await workflows.get(projectId, id, version);
  if (found !== undefined && (version !== undefined || found.deletedAt === undefined)) return found;
  if (found !== undefined) throw new HttpError(410, `workflow "${id}" was deleted at ${iso(found.deletedAt!)}`);
  if (version === undefined) throw new HttpError(404, `workflow "${id}" not found`);
  const latest = await workflows.get(projectId, id);
  throw new HttpError(404, latest ? `workflow "${id}" has no version ${version} (latest: ${latest.latestVersion})` : `workflow "${id}" not found`);
}

const workflowCursor = cursor(z.object({ c: z.number().int().nonnegative(), i: z.string().min(1) }).strict(), 'Opaque; the next_cursor of the previous page.');

export function workflowOperations(workflows: WorkflowStore, rules: GraphRules): Operation[] {
  return [
    defineOperation({
      method: 'post',
      path: '/api/workflows',
      operationId: 'createWorkflow',
      tag: 'workflows',
      summary: 'Creates a workflow (version 1)',
      description: "The graph is validated with the executor's JSON Schema and graph checks; a 400 lists every invalid path.",
      body: CreateWorkflowBody,
      status: 201,
      responses: {
        201: { description: 'Created.', schema: WorkflowRefSchema },
        409: { description: "The graph's id is taken by another workflow.", schema: ErrorSchema },
      },
      handle: async ({ projectId, body }) => {
        const id = workflowIdFor(body.graph_json);
        const graph = prepareGraph(body.graph_json, { id, name: body.name }, rules);
        try {
          const created = await workflows.create(projectId, id, { name: body.name, description: body.description ?? '', graph });
          return { id: created.id, version: created.version };
        } catch (err) {
          if (err instanceof WorkflowConflictError) throw new HttpError(409, err.message);
          throw err;
        }
      },
    }),
    defineOperation({
      method: 'get',
      path: '/api/workflows',
      operationId: 'listWorkflows',
      tag: 'workflows',
      summary: 'Workflows of the project, newest first, paginated (deleted ones are left out)',
      query: z.object({ cursor: workflowCursor.optional(), limit: integer('Page size (default 50).', 1, 500).optional() }),
      responses: { 200: { description: 'A page of workflows.', schema: WorkflowPageSchema } },
      handle: async ({ projectId, query }) => {
        const after = query.cursor && { createdAt: query.cursor.c, id: query.cursor.i };
        const page = await workflows.list(projectId, query.limit ?? 50, after);
        return { workflows: page.workflows.map(listItemView), next_cursor: page.next ? encodeCursor({ c: page.next.createdAt, i: page.next.id }) : null };
      },
    }),
    defineOperation({
      method: 'get',
      path: '/api/workflows/:id',
      operationId: 'getWorkflow',
      tag: 'workflows',
      summary: 'A workflow: its newest version, or the one asked for',
      description: 'Versions of a deleted workflow stay readable with `?version=`, so its past runs can show their graph.',
      params: workflowIdParams,
      query: z.object({ version: integer('Version to read (default: the newest).', 1, 2_147_483_647).optional() }),
      responses: { 200: { description: 'The workflow version.', schema: WorkflowSchema }, ...notFound, ...gone },
      handle: async ({ projectId, params, query }) => workflowView(await requireWorkflow(workflows, projectId, params.id, query.version)),
    }),
    defineOperation({
      method: 'put',
      path: '/api/workflows/:id',
      operationId: 'updateWorkflow',
      tag: 'workflows',
      summary: 'Adds a new version (name, description and graph default to the previous version)',
      params: workflowIdParams,
      body: UpdateWorkflowBody,
      responses: { 200: { description: 'The new version.', schema: WorkflowRefSchema }, ...notFound, ...gone },
      handle: async ({ projectId, params, body }) => {
        const current = await requireWorkflow(workflows, projectId, params.id);
        const name = body.name ?? current.name;
        const graph = body.graph_json === undefined ? current.graph : prepareGraph(body.graph_json, { id: params.id, name }, rules);
        const next = await workflows.addVersion(projectId, params.id, (latest) => ({ name, description: body.description ?? latest.description, graph }));
        if (next === undefined) await requireWorkflow(workflows, projectId, params.id);
        return { id: params.id, version: next!.version };
      },
    }),
    defineOperation({
      method: 'delete',
      path: '/api/workflows/:id',
      operationId: 'deleteWorkflow',
      tag: 'workflows',
      summary: 'Deletes a workflow (soft: its versions and past runs stay readable; it takes no new runs)',
      params: workflowIdParams,
      responses: { 200: { description: 'Deleted.', schema: DeletedSchema }, ...notFound, ...gone },
      handle: async ({ projectId, params }) => {
        if (!(await workflows.delete(projectId, params.id))) await requireWorkflow(workflows, projectId, params.id);
        return { id: params.id, deleted: true as const };
      },
    }),
  ];
}
