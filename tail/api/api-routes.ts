// The read API (seed 004 §5, seed 001): runs, run detail, run trace, analytics and
// deletion. Every route sees only the caller's project.
import { z } from 'zod/v4';
import type { SpanStore } from '../../storage/store.ts';
import { invalidParameter, notFound } from '../http/errors.ts';
import { cursor, decimal, encodeCursor, integer, isoTime, oneOrMore, text, textList } from '../http/params.ts';
import { defineRoute, type Route } from '../http/route.ts';
import { analyticsSummary, costByLabel, failureBreakdown, type AnalyticsScope } from './analytics-queries.ts';
import { deleteRun, getRun, listRuns, readRun } from './run-queries.ts';
import {
  AnalyticsSummarySchema,
  CostByLabelSchema,
  DeleteResultSchema,
  FAILURE_CLASSES,
  FailuresBreakdownSchema,
  RUN_STATUSES,
  RunSummarySchema,
  RunsPageSchema,
  RunTraceSchema,
} from './schemas.ts';
import { readTrace } from './trace-query.ts';

const DAY_NS = 86_400_000_000_000n;
const DEFAULT_ANALYTICS_DAYS = 30n;

const runIdParams = z.object({ runId: text('Run id (flowtrace.run.id, or the trace id for other producers).') });
const runNotFound = { 404: { description: 'No run with this id in the project.', schema: z.object({ error: z.string() }) } };

const scopeQuery = {
  from: isoTime('Start of the range (inclusive); default 30 days before `to`.').optional(),
  to: isoTime('End of the range (exclusive); default now.').optional(),
  service: textList('Only these services (service.name).').optional(),
  workflow: textList('Only runs of these workflow ids.').optional(),
};

function checkRange(fromNs: bigint | undefined, toNs: bigint | undefined): void {
  if (fromNs !== undefined && toNs !== undefined && fromNs >= toNs) throw invalidParameter('from', 'must be before "to"');
}

function analyticsScope(projectId: string, query: { from?: bigint; to?: bigint; service?: Set<string>; workflow?: Set<string> }): AnalyticsScope {
  const toNs = query.to ?? BigInt(Date.now()) * 1_000_000n;
  const fromNs = query.from ?? toNs - DEFAULT_ANALYTICS_DAYS * DAY_NS;
  checkRange(fromNs, toNs);
  return { projectId, fromNs, toNs, services: query.service, workflows: query.workflow };
}

const runCursor = cursor(z.object({ s: z.string().regex(/^\d{1,19}$/), r: z.string().min(1) }).strict(), 'Opaque; the next_cursor of the previous page.');
const stepCursor = cursor(
  z.object({ s: z.string().regex(/^\d{1,19}$/), p: z.string().min(1), t: z.string() }).strict(),
  'Opaque; the next_cursor of the previous page.',
);

export function apiRoutes(store: SpanStore): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/runs',
      operationId: 'listRuns',
      tag: 'runs',
      summary: 'Runs, newest first, filtered and paginated',
      query: z.object({
        workflow: textList('Workflow id or name.').optional(),
        status: oneOrMore(RUN_STATUSES, 'Run status.').optional(),
        from: isoTime('Runs that started at or after this time.').optional(),
        to: isoTime('Runs that started before this time.').optional(),
        service: textList('Runs with spans from these services.').optional(),
        model: textList('Runs that called these models (requested or responding).').optional(),
        failure_class: oneOrMore(FAILURE_CLASSES, 'Runs with a failure (recovered or terminal) of these classes.').optional(),
        min_cost: decimal('Runs that cost at least this many USD.').optional(),
        cursor: runCursor.optional(),
        limit: integer('Page size (default 50).', 1, 500).optional(),
      }),
      responses: { 200: { description: 'A page of runs.', schema: RunsPageSchema } },
      handle: async ({ projectId, query }) => {
        checkRange(query.from, query.to);
        const filter = {
          workflows: query.workflow,
          statuses: query.status,
          fromNs: query.from,
          toNs: query.to,
          services: query.service,
          models: query.model,
          failureClasses: query.failure_class,
          minCostUsd: query.min_cost,
        };
        const after = query.cursor && { startNs: query.cursor.s, runId: query.cursor.r };
        const page = await listRuns(store, projectId, filter, query.limit ?? 50, after);
        return { runs: page.runs, next_cursor: page.next && encodeCursor({ s: page.next.startNs, r: page.next.runId }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/runs/:runId',
      operationId: 'getRun',
      tag: 'runs',
      summary: 'Run summary: status, totals, elapsed time',
      params: runIdParams,
      responses: { 200: { description: 'The run.', schema: RunSummarySchema }, ...runNotFound },
      handle: async ({ projectId, params }) => {
        const run = await getRun(store, projectId, params.runId);
        if (run === undefined) throw notFound(`run "${params.runId}"`);
        return run;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/runs/:runId/trace',
      operationId: 'getRunTrace',
      tag: 'runs',
      summary: "A run's step tree: attempts, retries, fallbacks, cache hits, tokens, cost, latency",
      params: runIdParams,
      query: z.object({ cursor: stepCursor.optional(), limit: integer('Steps per page (default 100).', 1, 500).optional() }),
      responses: { 200: { description: 'A page of steps.', schema: RunTraceSchema }, ...runNotFound },
      handle: async ({ projectId, params, query }) => {
        const after = query.cursor && { startNs: query.cursor.s, spanId: query.cursor.p, traceId: query.cursor.t };
        const read = await readRun(store, projectId, params.runId);
        if (read === undefined) throw notFound(`run "${params.runId}"`);
        // The summary says when the run's spans started: read only those days.
        const page = await readTrace(store, projectId, params.runId, read.spans, query.limit ?? 100, after);
        return {
          run: read.summary,
          run_events: page.runEvents,
          steps: page.steps,
          next_cursor: page.next && encodeCursor({ s: page.next.startNs, p: page.next.spanId, t: page.next.traceId }),
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/runs/:runId',
      operationId: 'deleteRun',
      tag: 'runs',
      summary: "Deletes a run's spans from otel_traces and span_facts",
      params: runIdParams,
      responses: { 200: { description: 'What was deleted.', schema: DeleteResultSchema }, ...runNotFound },
      handle: async ({ projectId, params }) => {
        const deleted = await deleteRun(store, projectId, params.runId);
        if (deleted === 0) throw notFound(`run "${params.runId}"`);
        return { run_id: params.runId, deleted_spans: deleted };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/analytics/summary',
      operationId: 'analyticsSummary',
      tag: 'analytics',
      summary: 'Success rates, durations, calls, tokens and cost by provider and model; cache and fallback rates',
      query: z.object(scopeQuery),
      responses: { 200: { description: 'The summary.', schema: AnalyticsSummarySchema } },
      handle: ({ projectId, query }) => analyticsSummary(store, analyticsScope(projectId, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/analytics/failures',
      operationId: 'analyticsFailures',
      tag: 'analytics',
      summary: 'Root-cause failures by class and reason, recovered vs terminal',
      query: z.object(scopeQuery),
      responses: { 200: { description: 'The breakdown.', schema: FailuresBreakdownSchema } },
      handle: ({ projectId, query }) => failureBreakdown(store, analyticsScope(projectId, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/analytics/cost-by-label',
      operationId: 'analyticsCostByLabel',
      tag: 'analytics',
      summary: 'Calls, tokens, cost and cache savings per semantic label',
      query: z.object(scopeQuery),
      responses: { 200: { description: 'Cost per label, most expensive first.', schema: CostByLabelSchema } },
      handle: ({ projectId, query }) => costByLabel(store, analyticsScope(projectId, query)),
    }),
  ];
}
