// DialectNormaliser: any producer's GenAI span → GenAiFacts in v1.41 terms + RunFacts.
// The raw record (attributes included) is carried over untouched; unknown producers get
// dialect 'none' and are never dropped.
import type { Dialect, EnrichedSpan, GenAiFacts, SpanRecord } from '../../core/span.ts';
import {
  ANTHROPIC_SDK, ERROR_TYPE, GEN_AI, INFERENCE_OPERATIONS, OPENINFERENCE, OPENLLMETRY, VERCEL_AI,
} from '../../core/semconv.ts';
import { readGenAiNamespace } from './dialects/genai.ts';
import { readOpenInference } from './dialects/openinference.ts';
import { readVercelAi } from './dialects/vercel-ai.ts';
import type { DialectReader, DialectReading } from './reading.ts';
import { readRunFacts } from './run-facts.ts';

/** Which convention a span speaks; the first match wins, most specific first. */
export function detectDialect(span: SpanRecord): Dialect {
  const attributes = span.attributes;
  if (span.scopeName === ANTHROPIC_SDK.SCOPE_NAME || span.name === ANTHROPIC_SDK.SPAN_NAME) return 'anthropic_sdk';
  if (attributes[VERCEL_AI.OPERATION_ID] !== undefined || attributes[VERCEL_AI.MODEL_PROVIDER] !== undefined) return 'vercel_ai';
  if (attributes[OPENINFERENCE.SPAN_KIND] !== undefined) return 'openinference';
  if (
    span.scopeName.startsWith(OPENLLMETRY.JS_SCOPE_PREFIX) ||
    attributes[OPENLLMETRY.SPAN_KIND] !== undefined ||
    attributes[OPENLLMETRY.REQUEST_TYPE] !== undefined ||
    attributes[OPENLLMETRY.USAGE_TOTAL_TOKENS] !== undefined
  ) {
    return 'openllmetry';
  }
  if (attributes[GEN_AI.PROVIDER_NAME] !== undefined) return 'genai';
  if (attributes[GEN_AI.SYSTEM] !== undefined || attributes[GEN_AI.USAGE_PROMPT_TOKENS] !== undefined) return 'genai_legacy';
  if (attributes[GEN_AI.OPERATION_NAME] !== undefined) return 'genai';
  return 'none';
}

function readNothing(): DialectReading {
  return { operation: '', provider: '', requestModel: '', responseModel: '', usage: undefined, finishReasons: [], wrapper: false };
}

const READERS: Readonly<Record<Dialect, DialectReader>> = {
  genai: readGenAiNamespace,
  genai_legacy: readGenAiNamespace,
  openllmetry: readGenAiNamespace,
  anthropic_sdk: readGenAiNamespace,
  openinference: readOpenInference,
  vercel_ai: readVercelAi,
  none: readNothing,
};

export class DialectNormaliser {
  normalise(span: SpanRecord): EnrichedSpan {
    const dialect = detectDialect(span);
    const reading = READERS[dialect](span);
    const genai: GenAiFacts = {
      dialect,
      operation: reading.operation,
      provider: reading.provider,
      requestModel: reading.requestModel,
      responseModel: reading.responseModel,
      isInference: !reading.wrapper && INFERENCE_OPERATIONS.has(reading.operation),
      finishReasons: reading.finishReasons,
      errorType: span.attributes[ERROR_TYPE] ?? '',
    };
    if (reading.usage !== undefined) genai.usage = reading.usage;
    // An explicit literal (not a spread) keeps one object shape for every enriched span.
    return {
      projectId: span.projectId,
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      traceState: span.traceState,
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      serviceName: span.serviceName,
      resourceAttributes: span.resourceAttributes,
      scopeName: span.scopeName,
      scopeVersion: span.scopeVersion,
      attributes: span.attributes,
      statusCode: span.statusCode,
      statusMessage: span.statusMessage,
      events: span.events,
      links: span.links,
      genai,
      run: readRunFacts(span, genai),
      cost: undefined,
      failure: undefined,
    };
  }
}
