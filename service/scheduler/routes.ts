// Runs through the API (seed 004 §5): start (with Idempotency-Key), cancel, and a workflow's
// runs. A run's detail and live trace are the read API's /api/runs/:runId and its stream.
import { createHash, randomUUID } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { z } from 'zod/v4';
import { RunInputError, type WorkflowSpec } from '../../executor/index.ts';
import { resolveInputs } from '../../executor/runtime/inputs.ts';
import { StoreClosedError } from '../../storage/store.ts';
import { cursor, encodeCursor, integer, text } from '../../tail/http/params.ts';
import { HttpError, InvalidBodyError } from '../http/errors.ts';
import { Reply, defineOperation, type Operation } from '../http/operation.ts';
import { ErrorSchema, ScheduledRunSchema, ScheduledRunsPageSchema, StartRunBody, StartedRunSchema } from '../schemas.ts';
import { requireWorkflow, workflowIdParams } from '../workflows/routes.ts';
import type { WorkflowStore } from '../workflows/workflow-store.ts';
import { RunStateStoreClosedError, type RunRecord } from './run-state-store.ts';
import { IdempotencyKeyReuseError, QueueFullError, RunNotRecordedError, SchedulerStoppedError, type RunScheduler } from './run-scheduler.ts';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** Longest long poll. */
export const MAX_WAIT_MS = 60_000;

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function scheduledRunView(run: RunRecord): z.output<typeof ScheduledRunSchema> {
  return {
    run_id: run.runId,
    workflow_id: run.workflowId,
    workflow_version: run.workflowVersion,
    status: run.status,
    failure_reason: run.failureReason,
    error: run.error,
    queued_at: iso(run.queuedAt)!,
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
  };
}

function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) throw new HttpError(400, `invalid ${IDEMPOTENCY_KEY_HEADER} header: expected 1 to 255 printable ASCII characters without spaces`);
  return header;
}

/** The run's inputs with the workflow's defaults; every unknown or missing input named by its path in the body. */
function runInputs(spec: WorkflowSpec, supplied: Record<string, unknown> | undefined): Record<string, unknown> {
  try {
    return resolveInputs(spec, supplied);
  } catch (err) {
    if (!(err instanceof RunInputError)) throw err;
    throw new InvalidBodyError('invalid run inputs', err.issues.map((issue) => ({ path: issue.path.replace(/^inputs/, 'input_vars'), message: issue.message })));
  }
}

/** Scheduler refusals as HTTP answers. */
function startError(err: unknown): unknown {
  if (err instanceof QueueFullError) return new HttpError(429, err.message, { 'Retry-After': String(err.retryAfterSeconds) });
  if (err instanceof IdempotencyKeyReuseError) return new HttpError(422, err.message);
  if (err instanceof SchedulerStoppedError) return new HttpError(503, err.message, { 'Retry-After': '5' });
  if (err instanceof RunNotRecordedError) return new HttpError(503, err.message, { 'Retry-After': '5' });
  if (err instanceof RunStateStoreClosedError || err instanceof StoreClosedError) return new HttpError(503, 'storage is not available', { 'Retry-After': '5' });
  return err;
}

const runCursor = cursor(z.object({ q: z.number().int().nonnegative(), r: z.string().min(1) }).strict(), 'Opaque; the next_cursor of the previous page.');

export function runOperations(workflows: WorkflowStore, scheduler: RunScheduler): Operation[] {
  return [
    defineOperation({
      method: 'post',
      path: '/api/workflows/:id/runs',
      operationId: 'startRun',
      tag: 'runs',
      summary: 'Starts a run of a workflow (newest version unless `version` is given)',
      description:
        'Answers once the run is durably queued. Its status is at /api/runs/{runId} from then on, its live trace at ' +
        `/api/runs/{runId}/stream. With an ${IDEMPOTENCY_KEY_HEADER} header, repeating the request returns the same run ` +
        '(200, header Idempotent-Replayed: true) instead of starting another.',
      params: workflowIdParams,
      body: StartRunBody,
      headers: [
        {
          name: IDEMPOTENCY_KEY_HEADER,
          description: 'Any unique string (e.g. a UUID); a retried request with the same key and body starts no second run.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      ],
      status: 202,
      responses: {
        202: { description: 'Accepted and queued.', schema: StartedRunSchema },
        200: { description: 'A retry of an accepted request: the run it started.', schema: StartedRunSchema },
        404: { description: 'No such workflow or version.', schema: ErrorSchema },
        410: { description: 'The workflow was deleted.', schema: ErrorSchema },
        422: { description: 'The Idempotency-Key was used for a different request.', schema: ErrorSchema },
        429: { description: 'The run queue is full; retry after Retry-After seconds.', schema: ErrorSchema },
        503: { description: 'The service is shutting down or storage is unavailable; retry after Retry-After seconds.', schema: ErrorSchema },
      },
      handle: async ({ projectId, params, body, req }) => {
        const idempotencyKey = idempotencyKeyOf(req.get(IDEMPOTENCY_KEY_HEADER));
        const workflow = await requireWorkflow(workflows, projectId, params.id, body.version);
        if (workflow.deletedAt !== undefined) throw new HttpError(410, `workflow "${params.id}" was deleted and takes no new runs`);
        const inputs = runInputs(workflow.graph, body.input_vars);
        const requestHash = createHash('sha256')
          .update(stringify({ workflow: params.id, version: body.version ?? null, input_vars: body.input_vars ?? {} }) ?? '')
          .digest('hex');
        try {
          const { run, created } = await scheduler.start({
            projectId,
            runId: randomUUID(),
            workflowId: params.id,
            version: workflow.version,
            spec: workflow.graph,
            inputs,
            idempotencyKey,
            requestHash,
          });
          const started = { runId: run.runId, status: run.status, workflow_id: run.workflowId, workflow_version: run.workflowVersion };
          return created ? started : new Reply(200, started, { 'Idempotent-Replayed': 'true' });
        } catch (err) {
          throw startError(err);
        }
      },
    }),
    defineOperation({
      method: 'post',
      path: '/api/runs/:runId/cancel',
      operationId: 'cancelRun',
      tag: 'runs',
      summary: 'Cancels a queued or running run',
      description: 'A queued run is canceled at once; a running one stops at its next await (no further provider calls) and ends `canceled` with failure reason `cancelled`.',
      params: z.object({ runId: text('Run id.') }),
      status: 202,
      responses: {
        202: { description: 'Canceled, or cancelling (status still running).', schema: ScheduledRunSchema },
        404: { description: 'No run with this id was started through this service.', schema: ErrorSchema },
        409: { description: 'The run already finished.', schema: ErrorSchema },
      },
      handle: async ({ projectId, params }) => {
        const result = await scheduler.cancel(projectId, params.runId);
        if (result.outcome === 'unknown') throw new HttpError(404, `run "${params.runId}" not found among the runs this service started`);
        if (result.outcome === 'finished') throw new HttpError(409, `run "${params.runId}" already finished (${result.run.status})`);
        return scheduledRunView(result.run);
      },
    }),
    defineOperation({
      method: 'get',
      path: '/api/workflows/:id/runs/:runId',
      operationId: 'getWorkflowRun',
      tag: 'runs',
      summary: "The scheduler's record of a run: status and times (no spans needed)",
      description:
        'Cheap to poll: answered from memory for recent runs. With `wait`, answers as soon as the run finishes or after `wait` ms ' +
        '(long poll). The run\'s trace and totals are at /api/runs/{runId}.',
      params: workflowIdParams.extend({ runId: text('Run id.') }),
      query: z.object({ wait: integer('Wait up to this many ms for the run to finish (default 0: answer at once).', 0, MAX_WAIT_MS).optional() }),
      responses: { 200: { description: 'The run.', schema: ScheduledRunSchema }, 404: { description: 'No such run of this workflow.', schema: ErrorSchema } },
      handle: async ({ projectId, params, query }) => {
        const run = query.wait ? await scheduler.waitForEnd(projectId, params.runId, query.wait) : await scheduler.get(projectId, params.runId);
        if (run === undefined || run.workflowId !== params.id) throw new HttpError(404, `workflow "${params.id}" has no run "${params.runId}"`);
        return scheduledRunView(run);
      },
    }),
    defineOperation({
      method: 'get',
      path: '/api/workflows/:id/runs',
      operationId: 'listWorkflowRuns',
      tag: 'runs',
      summary: "A workflow's runs started through this service, newest first (also of a deleted workflow)",
      params: workflowIdParams,
      query: z.object({ cursor: runCursor.optional(), limit: integer('Page size (default 50).', 1, 500).optional() }),
      responses: { 200: { description: 'A page of runs.', schema: ScheduledRunsPageSchema }, 404: { description: 'No such workflow.', schema: ErrorSchema } },
      handle: async ({ projectId, params, query }) => {
        if ((await workflows.get(projectId, params.id)) === undefined) throw new HttpError(404, `workflow "${params.id}" not found`);
        const limit = query.limit ?? 50;
        const before = query.cursor && { queuedAt: query.cursor.q, runId: query.cursor.r };
        const stored = await scheduler.runsOf(projectId, params.id, limit, before);
        const last = stored[stored.length - 1];
        return {
          runs: stored.map(scheduledRunView),
          next_cursor: stored.length === limit && last ? encodeCursor({ q: last.queuedAt, r: last.runId }) : null,
        };
      },
    }),
  ];
}
