// FlowTrace execution context of a span, from `flowtrace.*` attributes; spans of other
// producers form a run per trace.
import type { GenAiFacts, RunFacts, SpanRecord } from '../../core/span.ts';
import { FLOWTRACE, GEN_AI_OPERATION } from '../../core/semconv.ts';

function readAttempt(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const attempt = Number.parseInt(raw, 10);
  return attempt >= 1 ? attempt : 1;
}

/**
 * run: a root span, or FlowTrace's own invoke_workflow span even when the caller's
 * context made it a child. A root inference span is a run too, so a single-call trace
 * still has a run row (its usage is summed all the same, via isInference).
 */
function roleOf(span: SpanRecord, genai: GenAiFacts): RunFacts['role'] {
  const attributes = span.attributes;
  if (span.parentSpanId === '') return 'run';
  if (genai.operation === GEN_AI_OPERATION.INVOKE_WORKFLOW && attributes[FLOWTRACE.RUN_ID] !== undefined) return 'run';
  if (genai.isInference) return 'llm';
  if (genai.operation === GEN_AI_OPERATION.EXECUTE_TOOL) return 'tool';
  // Only the step span itself says what kind of node it ran; spans inside inherit its ids.
  if (attributes[FLOWTRACE.STEP_ID] !== undefined && attributes[FLOWTRACE.NODE_TYPE] !== undefined) return 'step';
  return 'other';
}

export function readRunFacts(span: SpanRecord, genai: GenAiFacts): RunFacts {
  const attributes = span.attributes;
  const runId = attributes[FLOWTRACE.RUN_ID];
  return {
    runId: runId === undefined || runId === '' ? span.traceId : runId,
    stepId: attributes[FLOWTRACE.STEP_ID] ?? '',
    nodeId: attributes[FLOWTRACE.NODE_ID] ?? '',
    nodeType: attributes[FLOWTRACE.NODE_TYPE] ?? '',
    workflowId: attributes[FLOWTRACE.WORKFLOW_ID] ?? '',
    workflowVersion: attributes[FLOWTRACE.WORKFLOW_VERSION] ?? '',
    semanticLabel: attributes[FLOWTRACE.SEMANTIC_LABEL] ?? '',
    attempt: readAttempt(attributes[FLOWTRACE.ATTEMPT]),
    fallbackFrom: attributes[FLOWTRACE.FALLBACK_FROM] ?? '',
    cacheHit: attributes[FLOWTRACE.CACHE_HIT] === 'true',
    role: roleOf(span, genai),
  };
}
