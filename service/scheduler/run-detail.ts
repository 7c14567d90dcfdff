// A run's detail for GET /api/runs/:runId when the service scheduled it: the summary of its
// stored spans, with the scheduler's status as long as the run span is not stored — so a
// run is `queued` or `running` from the moment it is accepted, and a run canceled before it
// started (it never has spans) is still found.
import { z } from 'zod/v4';
import { getRun, type RunSummary } from '../../tail/api/run-queries.ts';
import { RunSummarySchema } from '../../tail/api/schemas.ts';
import type { SpanStore } from '../../storage/store.ts';
import { integer, text } from '../../tail/http/params.ts';
import { HttpError } from '../http/errors.ts';
import { defineOperation, type Operation } from '../http/operation.ts';
import { ErrorSchema, ScheduledRunSchema } from '../schemas.ts';
import type { RunScheduler } from './run-scheduler.ts';
import { RUN_STATES, type RunRecord } from './run-state-store.ts';
import { MAX_WAIT_MS, scheduledRunView } from './routes.ts';

export const RunDetailSchema = RunSummarySchema.extend({
  status: z.enum(RUN_STATES).describe("The run span's status once it is stored; before that, for runs this service started, the scheduler's."),
  scheduled: ScheduledRunSchema.nullable().describe('The scheduler\'s record; null for runs it did not start (other producers, `flowtrace run`).'),
});

export type RunDetail = z.output<typeof RunDetailSchema>;

const ZERO_TOTALS: RunSummary['totals'] = {
  steps: 0,
  llm_calls: 0,
  tool_calls: 0,
  retries: 0,
  fallbacks: 0,
  cache_hits: 0,
  error_spans: 0,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  total_tokens: 0,
  cost_usd: '0',
  unpriced_calls: 0,
  saved_cost_usd: null,
};

/** The summary of a run with no stored span yet, from the scheduler's record. */
function fromSchedulerOnly(run: RunRecord, now: number): RunDetail {
  const start = run.startedAt ?? run.queuedAt;
  const end = run.finishedAt ?? now;
  return {
    run_id: run.runId,
    trace_id: '',
    run_name: '',
    workflow_id: run.workflowId,
    workflow_version: '',
    workflow_name: '',
    service_name: '',
    status: run.status,
    failure_class: '',
    failure_reason: run.failureReason,
    start_time: new Date(start).toISOString(),
    end_time: new Date(end).toISOString(),
    duration_ms: run.finishedAt === undefined ? 0 : end - start,
    elapsed_ms: end - start,
    totals: ZERO_TOTALS,
    scheduled: scheduledRunView(run),
  };
}

/** undefined when neither storage nor the scheduler knows the run. */
export function runDetail(stored: RunSummary | undefined, scheduled: RunRecord | undefined, now = Date.now()): RunDetail | undefined {
  if (stored === undefined) return scheduled && fromSchedulerOnly(scheduled, now);
  const view = scheduled ? scheduledRunView(scheduled) : null;
  // The view says `running` until the run span is stored; the scheduler knows better meanwhile.
  const status = stored.status === 'running' && scheduled ? scheduled.status : stored.status;
  const failureReason = stored.status === 'running' && scheduled ? scheduled.failureReason : stored.failure_reason;
  return { ...stored, status, failure_reason: failureReason, scheduled: view };
}

/**
 * GET /api/runs/:runId for every run: the read API's stored summary merged with the
 * scheduler's record. Served in place of the read API's own route (same path).
 */
export function runDetailOperation(store: SpanStore, scheduler: RunScheduler): Operation {
  return defineOperation({
    method: 'get',
    path: '/api/runs/:runId',
    operationId: 'getRun',
    tag: 'runs',
    summary: 'Run summary: status, totals, elapsed time',
    description:
      'From the stored spans. A run started through POST /api/workflows/{id}/runs is here from the moment it is accepted: ' +
      'until its run span is stored, `status` is the scheduler\'s (`queued`, `running`, …) and the totals count the spans stored so far. ' +
      'With `wait`, answers once such a run has finished (or after `wait` ms).',
    params: z.object({ runId: text('Run id (flowtrace.run.id, or the trace id for other producers).') }),
    query: z.object({ wait: integer('Wait up to this many ms for a scheduled run to finish (default 0).', 0, MAX_WAIT_MS).optional() }),
    responses: { 200: { description: 'The run.', schema: RunDetailSchema }, 404: { description: 'No run with this id in the project.', schema: ErrorSchema } },
    handle: async ({ projectId, params, query }) => {
      const scheduled = query.wait ? await scheduler.waitForEnd(projectId, params.runId, query.wait) : await scheduler.get(projectId, params.runId);
      const detail = runDetail(await getRun(store, projectId, params.runId), scheduled);
      if (detail === undefined) throw new HttpError(404, `run "${params.runId}" not found`);
      return detail;
    },
  });
}
