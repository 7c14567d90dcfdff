// The JSON schema of `flowtrace.enriched` records: what the live tail needs of each stored
// span (identity, timing, run context, GenAI facts, cost, failure), without attributes, so
// no prompt or completion content ever reaches the topic. Documented in README.md.
import { z } from 'zod';
import type { EnrichedSpan } from '../../core/span.ts';

export const ENRICHED_SCHEMA = 'flowtrace.enriched.v1';

const Usage = z.object({ input: z.number(), output: z.number(), cacheRead: z.number(), cacheWrite: z.number(), reasoning: z.number() }).strict();

const SpanSummary = z
  .object({
    traceId: z.string(),
    spanId: z.string(),
    parentSpanId: z.string(),
    name: z.string(),
    kind: z.string(),
    serviceName: z.string(),
    /** Nanoseconds since the epoch, as a decimal string (beyond a double's exact range). */
    startTimeUnixNano: z.string().regex(/^\d+$/),
    endTimeUnixNano: z.string().regex(/^\d+$/),
    durationMs: z.number(),
    statusCode: z.enum(['Unset', 'Ok', 'Error']),
    statusMessage: z.string(),
    role: z.enum(['run', 'step', 'llm', 'tool', 'other']),
    stepId: z.string(),
    nodeId: z.string(),
    nodeType: z.string(),
    workflowId: z.string(),
    semanticLabel: z.string(),
    attempt: z.number().int(),
    fallbackFrom: z.string(),
    cacheHit: z.boolean(),
    operation: z.string(),
    provider: z.string(),
    requestModel: z.string(),
    responseModel: z.string(),
    usage: Usage.nullable(),
    /** Decimal USD string, null when not priced (see costStatus). */
    costUsd: z.string().nullable(),
    costStatus: z.string(),
    savedUsd: z.string().nullable(),
    failure: z.object({ class: z.string(), reason: z.string(), evidence: z.string() }).strict().nullable(),
  })
  .strict();

const RunRecord = z
  .object({
    schema: z.literal(ENRICHED_SCHEMA),
    projectId: z.string(),
    runId: z.string(),
    spans: z.array(SpanSummary).min(1),
  })
  .strict();

export type EnrichedSpanSummary = z.infer<typeof SpanSummary>;
/** The value of one `flowtrace.enriched` record (key = runId). */
export type EnrichedRunRecord = z.infer<typeof RunRecord>;

export function summarize(span: EnrichedSpan): EnrichedSpanSummary {
  const { run, genai, cost, failure } = span;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    serviceName: span.serviceName,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    durationMs: Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6,
    statusCode: span.statusCode,
    statusMessage: span.statusMessage,
    role: run.role,
    stepId: run.stepId,
    nodeId: run.nodeId,
    nodeType: run.nodeType,
    workflowId: run.workflowId,
    semanticLabel: run.semanticLabel,
    attempt: run.attempt,
    fallbackFrom: run.fallbackFrom,
    cacheHit: run.cacheHit,
    operation: genai.operation,
    provider: genai.provider,
    requestModel: genai.requestModel,
    responseModel: genai.responseModel,
    usage: genai.usage ? { ...genai.usage } : null,
    costUsd: cost?.usd ?? null,
    costStatus: cost?.status ?? '',
    savedUsd: cost?.savedUsd ?? null,
    failure: failure ? { class: failure.failureClass, reason: failure.reason, evidence: failure.evidence } : null,
  };
}

/** Reads one record value; throws with the offending path when it is not an EnrichedRunRecord. */
export function parseEnrichedRecord(value: Buffer | string): EnrichedRunRecord {
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (err) {
    throw new Error(`${ENRICHED_SCHEMA} record is not JSON: ${(err as Error).message}`);
  }
  const result = RunRecord.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`not a ${ENRICHED_SCHEMA} record: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}
