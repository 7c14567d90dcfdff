// One GenAI inference span (`chat {model}`, CLIENT): shared by the executor's llm runner
// (one per attempt) and trackLlmCall (any agent's own calls), so both emit the same shape.
import { SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { FailureReason, TokenUsage } from '../../core/span.ts';
import { FLOWTRACE, GEN_AI, GEN_AI_OPERATION, HTTP_RESPONSE_STATUS_CODE, SERVER_ADDRESS, SERVER_PORT } from '../../core/semconv.ts';
import { currentContext, frameOf, runInFrame } from './context.ts';
import { SpanHandleImpl } from './handles.ts';
import type { Telemetry } from './telemetry.ts';

export interface InferenceRequest {
  provider: string;
  model: string;
  /** `chat` unless given. */
  operation?: string;
  stream?: boolean;
  temperature?: number;
  maxTokens?: number;
  semanticLabel?: string;
  /** 1-based, counted across a whole step. */
  attempt?: number;
  /** Why this attempt exists: the previous attempt's failure reason. */
  retryReason?: string;
  /** `provider/model` this attempt falls back from. */
  fallbackFrom?: string;
  server?: { address: string; port: number };
  /** Recorded only when content capture is on. */
  input?: { system?: string; prompt: string };
}

export interface InferenceOutcome {
  usage: TokenUsage;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** Recorded only when content capture is on. */
  outputText?: string;
  chunks?: number;
  timeToFirstChunkMs?: number;
}

function requestAttributes(req: InferenceRequest, captureContent: boolean): Attributes {
  const attrs: Attributes = {
    [GEN_AI.OPERATION_NAME]: req.operation ?? GEN_AI_OPERATION.CHAT,
    [GEN_AI.PROVIDER_NAME]: req.provider,
    [GEN_AI.REQUEST_MODEL]: req.model,
  };
  if (req.stream) attrs[GEN_AI.REQUEST_STREAM] = true;
  if (req.temperature !== undefined) attrs[GEN_AI.REQUEST_TEMPERATURE] = req.temperature;
  if (req.maxTokens !== undefined) attrs[GEN_AI.REQUEST_MAX_TOKENS] = req.maxTokens;
  if (req.semanticLabel) attrs[FLOWTRACE.SEMANTIC_LABEL] = req.semanticLabel;
  if (req.attempt !== undefined) attrs[FLOWTRACE.ATTEMPT] = req.attempt;
  if (req.retryReason) attrs[FLOWTRACE.RETRY_REASON] = req.retryReason;
  if (req.fallbackFrom) attrs[FLOWTRACE.FALLBACK_FROM] = req.fallbackFrom;
  if (req.server) {
    attrs[SERVER_ADDRESS] = req.server.address;
    attrs[SERVER_PORT] = req.server.port;
  }
  if (captureContent && req.input) {
    // GenAI semconv message schema, serialised to JSON: JS span attributes cannot hold structures.
    attrs[GEN_AI.INPUT_MESSAGES] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: req.input.prompt }] }]);
    if (req.input.system !== undefined) {
      attrs[GEN_AI.SYSTEM_INSTRUCTIONS] = JSON.stringify([{ type: 'text', content: req.input.system }]);
    }
  }
  return attrs;
}

function usageAttributes(usage: TokenUsage): Attributes {
  return {
    [GEN_AI.USAGE_INPUT_TOKENS]: usage.input,
    [GEN_AI.USAGE_OUTPUT_TOKENS]: usage.output,
    [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: usage.cacheRead,
    [GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS]: usage.cacheWrite,
    [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: usage.reasoning,
  };
}

export class InferenceSpan {
  private readonly parent: Context;
  private readonly span: Span;
  private readonly handle: SpanHandleImpl;

  constructor(
    private readonly telemetry: Telemetry,
    req: InferenceRequest,
  ) {
    this.parent = currentContext();
    const outer = frameOf(this.parent)?.handle;
    const semanticLabel = req.semanticLabel ?? outer?.semanticLabel;
    this.span = telemetry.tracer.startSpan(
      `${req.operation ?? GEN_AI_OPERATION.CHAT} ${req.model}`,
      { kind: SpanKind.CLIENT, attributes: requestAttributes({ ...req, semanticLabel }, telemetry.captureContent) },
      this.parent,
    );
    this.handle = new SpanHandleImpl(this.span, { ...(outer?.scope ?? { runId: '' }), semanticLabel });
  }

  /** Runs the provider call with this span active, so nested instrumentation nests under it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return runInFrame(this.parent, this.span, { telemetry: this.telemetry, handle: this.handle }, fn);
  }

  succeed(outcome: InferenceOutcome, costUsd: string | null): void {
    const span = this.span;
    span.setAttributes(usageAttributes(outcome.usage));
    if (outcome.responseModel) span.setAttribute(GEN_AI.RESPONSE_MODEL, outcome.responseModel);
    if (outcome.responseId) span.setAttribute(GEN_AI.RESPONSE_ID, outcome.responseId);
    if (outcome.finishReasons?.length) span.setAttribute(GEN_AI.RESPONSE_FINISH_REASONS, outcome.finishReasons);
    if (outcome.chunks !== undefined) span.setAttribute(FLOWTRACE.STREAM_CHUNKS, outcome.chunks);
    if (outcome.timeToFirstChunkMs !== undefined) {
      span.setAttribute(GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK, outcome.timeToFirstChunkMs / 1000);
    }
    if (costUsd !== null) span.setAttribute(FLOWTRACE.COST_USD, costUsd);
    if (this.telemetry.captureContent && outcome.outputText !== undefined) {
      span.setAttribute(
        GEN_AI.OUTPUT_MESSAGES,
        JSON.stringify([
          {
            role: 'assistant',
            parts: [{ type: 'text', content: outcome.outputText }],
            finish_reason: outcome.finishReasons?.[0] ?? 'stop',
          },
        ]),
      );
    }
    span.end();
  }

  fail(error: unknown, reason: FailureReason, httpStatus?: number): void {
    if (httpStatus !== undefined) this.span.setAttribute(HTTP_RESPONSE_STATUS_CODE, httpStatus);
    this.handle.fail(error, reason);
    this.span.end();
  }
}
