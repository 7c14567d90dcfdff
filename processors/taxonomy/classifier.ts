// FailureClassifier: gives every failed span a class (where the failure originated) and a
// precise reason, with the evidence it was derived from. A span has failed when its status
// is Error, it carries error.type, it recorded an exception event, or the model stopped
// for a content-filter / context-window finish reason.
import type { EnrichedSpan, FailureClass, FailureFacts, FailureReason } from '../../core/span.ts';
import {
  ERROR_TYPE, EXCEPTION, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR, GEN_AI, GEN_AI_OPERATION, HTTP_RESPONSE_STATUS_CODE,
} from '../../core/semconv.ts';
import { FAILURE_FINISH_REASONS, REASON_RULES, SERVER_ERROR_REASON, TAXONOMY_REASONS } from './rules.ts';

interface Evidence {
  /** [source, value]: error.type / exception.type values. */
  types: Array<[string, string]>;
  /** [source, value]: status message and exception messages. */
  texts: Array<[string, string]>;
  httpStatus: number | undefined;
}

const ORCHESTRATION_REASONS: ReadonlySet<FailureReason> = new Set(['budget_exceeded', 'limit_exceeded', 'cancelled']);
/** Reasons that originate at the model provider even when seen on a run or agent span. */
const MODEL_REASONS: ReadonlySet<FailureReason> = new Set(['rate_limit', 'overloaded', 'context_length', 'content_filter', 'provider_error']);
const EVIDENCE_TEXT_LIMIT = 160;

function quote(text: string): string {
  const short = text.length > EVIDENCE_TEXT_LIMIT ? `${text.slice(0, EVIDENCE_TEXT_LIMIT)}…` : text;
  return JSON.stringify(short);
}

function finishFailure(span: EnrichedSpan): [FailureReason, string] | undefined {
  for (const finish of span.genai.finishReasons) {
    const reason = FAILURE_FINISH_REASONS[finish.toLowerCase()];
    if (reason !== undefined) return [reason, `finish_reason=${finish}`];
  }
  return undefined;
}

function gatherEvidence(span: EnrichedSpan): Evidence {
  const types: Array<[string, string]> = [];
  const texts: Array<[string, string]> = [];
  const errorType = span.attributes[ERROR_TYPE];
  if (errorType !== undefined && errorType !== '') types.push([ERROR_TYPE, errorType]);
  for (const event of span.events) {
    const type = event.attributes[EXCEPTION.TYPE];
    const message = event.attributes[EXCEPTION.MESSAGE];
    if (type !== undefined && type !== '') types.push([EXCEPTION.TYPE, type]);
    if (message !== undefined && message !== '') texts.push([EXCEPTION.MESSAGE, message]);
  }
  if (span.statusMessage !== '') texts.push(['status_message', span.statusMessage]);
  const status = Number.parseInt(span.attributes[HTTP_RESPONSE_STATUS_CODE] ?? '', 10);
  return { types, texts, httpStatus: status >= 400 ? status : undefined };
}

function hasException(span: EnrichedSpan): boolean {
  return span.events.some((event) => event.name === EXCEPTION.EVENT_NAME || event.attributes[EXCEPTION.TYPE] !== undefined);
}

/** What a FlowTrace limit event says stopped the run (a soft budget warning stops nothing). */
function limitEventReason(span: EnrichedSpan): [FailureReason, string] | undefined {
  for (const event of span.events) {
    if (event.name === FLOWTRACE_EVENT.GUARDRAIL) {
      const stated = event.attributes[FLOWTRACE_EVENT_ATTR.REASON];
      const reason: FailureReason = stated === 'budget_exceeded' ? 'budget_exceeded' : 'limit_exceeded';
      return [reason, `event=${event.name}`];
    }
    if (event.name === FLOWTRACE_EVENT.BUDGET && event.attributes[FLOWTRACE_EVENT_ATTR.KIND] !== 'soft') {
      return ['budget_exceeded', `event=${event.name}`];
    }
  }
  return undefined;
}

/** The reason and what it was derived from, strongest evidence first. */
function reasonOf(span: EnrichedSpan, evidence: Evidence): [FailureReason, string] {
  const stated = span.attributes[ERROR_TYPE];
  if (stated !== undefined && TAXONOMY_REASONS.has(stated)) return [stated as FailureReason, `${ERROR_TYPE}=${stated}`];
  const limit = limitEventReason(span);
  if (limit !== undefined) return limit;
  for (const rule of REASON_RULES) {
    const match = rule.types && evidence.types.find(([, type]) => rule.types!.test(type));
    if (match) return [rule.reason, `${match[0]}=${match[1]}`];
  }
  for (const rule of REASON_RULES) {
    const match = rule.text && evidence.texts.find(([, text]) => rule.text!.test(text));
    if (match) return [rule.reason, `${match[0]}~${quote(match[1])}`];
  }
  const status = evidence.httpStatus;
  if (status !== undefined) {
    const rule = REASON_RULES.find((candidate) => candidate.http?.has(status));
    if (rule !== undefined) return [rule.reason, `${HTTP_RESPONSE_STATUS_CODE}=${status}`];
    if (status >= 500) return [SERVER_ERROR_REASON, `${HTTP_RESPONSE_STATUS_CODE}=${status}`];
  }
  for (const rule of REASON_RULES) {
    const match = rule.weakTypes && evidence.types.find(([, type]) => rule.weakTypes!.test(type));
    if (match) return [rule.reason, `${match[0]}=${match[1]}`];
  }
  const finish = finishFailure(span);
  if (finish !== undefined) return finish;
  const [source, value] = evidence.types[0] ?? evidence.texts[0] ?? ['status', span.statusCode];
  const fallback: FailureReason = isTool(span) ? 'tool_error' : 'unknown';
  return [fallback, `${source}=${value}`];
}

function isTool(span: EnrichedSpan): boolean {
  return span.run.role === 'tool' || span.run.nodeType === 'tool' || span.genai.operation === GEN_AI_OPERATION.EXECUTE_TOOL;
}

function isRetrieval(span: EnrichedSpan): boolean {
  return span.genai.operation === GEN_AI_OPERATION.RETRIEVAL || span.attributes[GEN_AI.TOOL_TYPE] === 'datastore';
}

/** Where the failure originated: the span's own kind, or for runs and agents the kind of reason. */
function classOf(span: EnrichedSpan, reason: FailureReason): FailureClass {
  if (ORCHESTRATION_REASONS.has(reason)) return 'orchestration';
  if (isRetrieval(span)) return 'retrieval';
  if (isTool(span)) return 'tool';
  if (span.genai.isInference || span.run.role === 'llm' || span.run.nodeType === 'llm') return 'model';
  if (MODEL_REASONS.has(reason)) return 'model';
  if (reason === 'tool_error') return 'tool';
  return 'orchestration';
}

export class FailureClassifier {
  /** Sets `span.failure` (in place) when the span failed; returns the span. */
  classify(span: EnrichedSpan): EnrichedSpan {
    const failure = this.failureOf(span);
    if (failure !== undefined) span.failure = failure;
    return span;
  }

  private failureOf(span: EnrichedSpan): FailureFacts | undefined {
    const failed = span.statusCode === 'Error' || span.genai.errorType !== '' || hasException(span);
    if (!failed) {
      const finish = span.genai.finishReasons.length === 0 ? undefined : finishFailure(span);
      return finish && { failureClass: classOf(span, finish[0]), reason: finish[0], evidence: finish[1] };
    }
    const [reason, evidence] = reasonOf(span, gatherEvidence(span));
    return { failureClass: classOf(span, reason), reason, evidence };
  }
}
