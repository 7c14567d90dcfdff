// The tail service's public API: SSE trace streams, the read API and the live page.
export { createTailServer, type MountedApi, type TailServer, type TailServerDeps } from './server.ts';
export {
  TailConfigError,
  TailConfigSchema,
  parseApiKeys,
  resolveTailConfig,
  tailConfigFrom,
  type ApiKey,
  type ResolvedTailConfig,
  type TailConfig,
} from './config.ts';
export { TRACE_EVENT_KINDS, deriveEvents, runStatusOf, type TraceEvent, type TraceEventKind } from './events/derive.ts';
export { compareEventKeys, formatEventId, parseEventId, type EventKey } from './events/event-id.ts';
export { fromEnrichedSpan, type StreamSpan } from './events/stream-span.ts';
export { getRun, listRuns, deleteRun, type RunFilter, type RunSummary } from './api/run-queries.ts';
export { RunSummarySchema, RUN_STATUSES, FAILURE_CLASSES } from './api/schemas.ts';
export { EnrichedTopicBus, type EnrichedTopicBusConfig } from './kafka/enriched-topic-bus.ts';
