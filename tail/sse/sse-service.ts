// The SSE endpoints: a run's stream and the filtered firehose. Owns the live connections:
// their count (beyond the limit: 503), one shared heartbeat timer, and shutdown.
import type { Request, Response } from 'express';
import { z } from 'zod/v4';
import { FAILURE_CLASSES } from '../api/schemas.ts';
import type { SseConfig } from '../config.ts';
import { parseEventId, type EventKey } from '../events/event-id.ts';
import { TRACE_EVENT_KINDS } from '../events/derive.ts';
import { HttpError, invalidParameter } from '../http/errors.ts';
import { oneOrMore, text, textList } from '../http/params.ts';
import { defineRoute, type Route } from '../http/route.ts';
import type { SpanStore } from '../../storage/store.ts';
import { ORDER_KEYS, readSpanPage } from '../query/span-reader.ts';
import { stringList, type Params } from '../query/rows.ts';
import { TraceEventSchema } from './event-schema.ts';
import type { LiveEventHub, StreamFilter } from './live-event-hub.ts';
import { SseConnection } from './sse-connection.ts';
import { TraceEventStream, type HistoryPosition, type HistoryReader } from './trace-event-stream.ts';

const LAST_EVENT_ID = 'Last-Event-ID';

const resumeQuery = {
  lastEventId: z.string().optional().describe(`Resume after this event id (for clients that cannot send the ${LAST_EVENT_ID} header; the header wins).`),
};

const streamResponses = {
  200: {
    description:
      'text/event-stream of `event: trace` messages whose data is a trace event; `:` comment lines as heartbeats; ' +
      '`event: error` with data {reason, message} before the server ends a stream (reason slow_consumer, internal_error or server_shutdown).',
    schema: TraceEventSchema,
    contentType: 'text/event-stream',
  },
  503: { description: 'Too many live connections; retry after the Retry-After seconds.' },
};

const lastEventIdHeader = {
  name: LAST_EVENT_ID,
  description: 'Resume after this event id (`<span end ns>:<span id>:<n>`); sent by EventSource when it reconnects.',
  schema: { type: 'string', pattern: '^\\d+:[0-9A-Za-z]+:\\d+$' },
};

/** The client's resume point, from the Last-Event-ID header or the lastEventId parameter. */
function resumePoint(req: Request, queryValue: string | undefined): EventKey | undefined {
  const raw = req.headers['last-event-id'];
  const header = Array.isArray(raw) ? raw[0] : raw;
  const [name, value] = header !== undefined && header !== '' ? [LAST_EVENT_ID, header] : ['lastEventId', queryValue];
  if (value === undefined || value === '') return undefined;
  const key = parseEventId(value);
  if (key === undefined) throw invalidParameter(name, 'expected an event id of the form <span end ns>:<span id>:<n>');
  return key;
}

function positionCondition(position: HistoryPosition, params: Params): string[] {
  if (position === undefined) return [];
  if ('from' in position) {
    params.fromEnd = String(position.from.endNs);
    params.fromSpan = position.from.spanId;
    return ['(toUnixTimestamp64Nano(EndTime), SpanId) >= ({fromEnd:Int64}, {fromSpan:String})'];
  }
  params.afterEnd = String(position.after.endNs);
  params.afterSpan = position.after.spanId;
  params.afterTrace = position.after.traceId;
  return [`${ORDER_KEYS.end} > ({afterEnd:Int64}, {afterSpan:String}, {afterTrace:String})`];
}

/** History of the spans a filter selects (the event kind is filtered on the derived events). */
function historyOf(store: SpanStore, filter: StreamFilter): HistoryReader {
  return (position, limit) => {
    const params: Params = {};
    const where = positionCondition(position, params);
    if (filter.runId !== undefined) {
      where.push('RunId = {run:String}');
      params.run = filter.runId;
    }
    const sets: Array<[string, string, ReadonlySet<string> | undefined]> = [
      ['ServiceName', 'services', filter.services],
      ['WorkflowId', 'workflows', filter.workflows],
      ['FailureClass', 'failureClasses', filter.failureClasses],
    ];
    for (const [column, name, values] of sets) {
      if (values === undefined || values.size === 0) continue;
      where.push(`${column} IN ${stringList(name, values, params)}`);
    }
    return readSpanPage(store, { projectId: filter.projectId, where, params, orderBy: 'end', limit, attributes: 'stream' });
  };
}

export class SseService {
  private readonly connections = new Set<SseConnection>();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: SpanStore,
    private readonly hub: LiveEventHub,
    private readonly config: SseConfig,
  ) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  start(): void {
    this.hub.start();
    this.heartbeatTimer ??= setInterval(() => {
      for (const connection of this.connections) connection.heartbeat();
    }, this.config.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Ends every stream with a server_shutdown notice. */
  stop(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const connection of this.connections) connection.drop({ reason: 'server_shutdown', message: 'the server is shutting down' });
    this.hub.stop();
  }

  routes(): Route[] {
    return [
      defineRoute({
        method: 'get',
        path: '/api/runs/:runId/stream',
        operationId: 'streamRun',
        tag: 'live',
        summary: "A run's trace events: its history, then live",
        description:
          'Sends every trace event of the run so far (or after Last-Event-ID), then each new one as its span is stored. ' +
          'The run may not have any stored span yet: the stream waits for them.',
        params: z.object({ runId: text('Run id (flowtrace.run.id, or the trace id for other producers).') }),
        query: z.object(resumeQuery),
        headers: [lastEventIdHeader],
        responses: streamResponses,
        handle: async ({ projectId, params, query, req, res }) => {
          const filter: StreamFilter = { projectId, runId: params.runId };
          await this.serve(req, res, filter, resumePoint(req, query.lastEventId), true);
          return undefined;
        },
      }),
      defineRoute({
        method: 'get',
        path: '/api/stream',
        operationId: 'streamAll',
        tag: 'live',
        summary: "Firehose: every new trace event of the project, filtered",
        description: 'Live events only; with Last-Event-ID (or lastEventId) the stream first replays what was stored after that event.',
        query: z.object({
          service: textList('Only spans of these services (service.name).').optional(),
          workflow: textList('Only spans carrying these workflow ids (flowtrace.workflow.id).').optional(),
          kind: oneOrMore(TRACE_EVENT_KINDS, 'Only these event kinds.').optional(),
          failure_class: oneOrMore(FAILURE_CLASSES, 'Only events of spans that failed with these classes.').optional(),
          ...resumeQuery,
        }),
        headers: [lastEventIdHeader],
        responses: streamResponses,
        handle: async ({ projectId, query, req, res }) => {
          const filter: StreamFilter = {
            projectId,
            services: query.service,
            workflows: query.workflow,
            kinds: query.kind,
            failureClasses: query.failure_class,
          };
          const resumeFrom = resumePoint(req, query.lastEventId);
          await this.serve(req, res, filter, resumeFrom, resumeFrom !== undefined);
          return undefined;
        },
      }),
    ];
  }

  private async serve(req: Request, res: Response, filter: StreamFilter, resumeFrom: EventKey | undefined, replay: boolean): Promise<void> {
    const { config } = this;
    if (this.connections.size >= config.maxConnections) {
      throw new HttpError(503, `too many live connections (limit ${config.maxConnections})`, { 'Retry-After': '5' });
    }
    const connection = new SseConnection(req, res, config);
    this.connections.add(connection);
    connection.onClose(() => this.connections.delete(connection));
    const stream = new TraceEventStream(connection, this.hub, {
      filter,
      history: replay ? historyOf(this.store, filter) : undefined,
      resumeFrom,
      pageSpans: config.historyPageSpans,
      maxPendingEvents: config.maxPendingEvents,
      replayDrainTimeoutMs: config.replayDrainTimeoutMs,
    });
    await stream.start();
  }
}
