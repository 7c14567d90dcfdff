// A run's detail for GET /api/runs/:runId when the service scheduled it: the summary of its
// stored spans, with the scheduler's status as long as the run span is not stored — so a
// run is `queued` or `running` from the moment it is accepted, and a run canceled before it
// started (it never has spans) is still found.
import type { z } from 'zod/v4';
import type { RunSummary } from '../../tail/api/run-queries.ts';
import type { ScheduledRunSchema } from '../schemas.ts';
import type { RunRecord, RunState } from './run-state-store.ts';
import { scheduledRunView } from './routes.ts';

export type RunDetail = Omit<RunSummary, 'status'> & {
  status: RunState;
  /** The scheduler's record of the run; null for runs it did not start (other producers, `flowtrace run`). */
  scheduled: z.output<typeof ScheduledRunSchema> | null;
};

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
