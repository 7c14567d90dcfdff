// The OpenTelemetry pipeline of a process that runs workflows (or any agent using the
// library API): a tracer provider with the run-context stamper and an OTLP exporter, plus
// withRun / withStep / withToolCall / trackLlmCall, which open the spans of DESIGN.md §4.
import { randomUUID } from 'node:crypto';
import { SpanKind, context, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FailureReason, TokenUsage } from '../../core/span.ts';
import { FLOWTRACE, GEN_AI, GEN_AI_OPERATION, SERVICE_NAME } from '../../core/semconv.ts';
import { classifyProviderError } from '../providers/errors.ts';
import {
  DEFAULT_SCHEDULE_DELAY_MS,
  DEFAULT_SERVICE_NAME,
  captureContentFromEnv,
  exportDisabled,
  tracesUrl,
  type TelemetryConfig,
} from './config.ts';
import { RunContextSpanProcessor, currentContext, frameOf, runInFrame } from './context.ts';
import { callCostUsd } from './cost.ts';
import { failureReasonOf } from './errors.ts';
import { SpanHandleImpl, type RunHandle, type SpanHandle, type StepHandle, type ToolCallHandle } from './handles.ts';
import { InferenceSpan, type InferenceRequest } from './inference-span.ts';

export interface RunOptions {
  workflowName: string;
  /** Generated (UUID) when absent. */
  runId?: string;
  workflowId?: string;
  workflowVersion?: string;
  conversationId?: string;
  semanticLabel?: string;
}

export interface StepOptions {
  nodeId: string;
  nodeType: 'llm' | 'tool' | 'router' | (string & {});
  /** Generated (UUID) when absent. */
  stepId?: string;
  semanticLabel?: string;
}

export interface ToolCallOptions {
  toolName: string;
  toolType?: string;
  callId?: string;
}

export interface LlmCallOptions {
  provider: string;
  model: string;
  operation?: 'chat' | 'text_completion' | 'embeddings';
  semanticLabel?: string;
  stream?: boolean;
  /** Prompt content, recorded only when content capture is on. */
  input?: { system?: string; prompt: string };
}

export interface LlmCallFacts {
  usage: TokenUsage;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** Completion text, recorded only when content capture is on. */
  outputText?: string;
}

function requireName(what: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${what}: expected a non-empty string, got ${JSON.stringify(value)}`);
  }
}

export class Telemetry {
  readonly tracer: Tracer;

  constructor(
    readonly tracerProvider: BasicTracerProvider,
    readonly captureContent: boolean,
    private readonly exporter?: SpanExporter,
  ) {
    this.tracer = tracerProvider.getTracer('flowtrace.executor');
  }

  /** One workflow run: span `invoke_workflow {name}`; every span inside carries `flowtrace.run.id`. */
  withRun<T>(opts: RunOptions, fn: (run: RunHandle) => Promise<T>): Promise<T> {
    requireName('withRun workflowName', opts.workflowName);
    const runId = opts.runId ?? randomUUID();
    const attributes: Attributes = {
      [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.INVOKE_WORKFLOW,
      [GEN_AI.WORKFLOW_NAME]: opts.workflowName,
      [FLOWTRACE.RUN_ID]: runId,
    };
    if (opts.workflowId) attributes[FLOWTRACE.WORKFLOW_ID] = opts.workflowId;
    if (opts.workflowVersion) attributes[FLOWTRACE.WORKFLOW_VERSION] = opts.workflowVersion;
    if (opts.conversationId) attributes[GEN_AI.CONVERSATION_ID] = opts.conversationId;
    if (opts.semanticLabel) attributes[FLOWTRACE.SEMANTIC_LABEL] = opts.semanticLabel;
    return this.instrument(
      `${GEN_AI_OPERATION.INVOKE_WORKFLOW} ${opts.workflowName}`,
      attributes,
      (span) =>
        Object.assign(new SpanHandleImpl(span, { runId, workflowId: opts.workflowId, semanticLabel: opts.semanticLabel }), {
          workflowName: opts.workflowName,
        }),
      fn,
      'unknown',
    );
  }

  /** One node execution: span `step {nodeId}` with the step, node and label attributes. */
  withStep<T>(opts: StepOptions, fn: (step: StepHandle) => Promise<T>): Promise<T> {
    requireName('withStep nodeId', opts.nodeId);
    requireName('withStep nodeType', opts.nodeType);
    const stepId = opts.stepId ?? randomUUID();
    const attributes: Attributes = {
      [FLOWTRACE.STEP_ID]: stepId,
      [FLOWTRACE.NODE_ID]: opts.nodeId,
      [FLOWTRACE.NODE_TYPE]: opts.nodeType,
    };
    const outer = frameOf(currentContext())?.handle;
    const semanticLabel = opts.semanticLabel ?? outer?.semanticLabel;
    if (semanticLabel) attributes[FLOWTRACE.SEMANTIC_LABEL] = semanticLabel;
    const runId = outer?.runId ?? '';
    return this.instrument(
      `step ${opts.nodeId}`,
      attributes,
      (span) =>
        Object.assign(new SpanHandleImpl(span, { ...outer?.scope, runId, stepId, nodeId: opts.nodeId, semanticLabel }), {
          nodeId: opts.nodeId,
          nodeType: opts.nodeType,
          stepId,
        }),
      fn,
      opts.nodeType === 'tool' ? 'tool_error' : 'unknown',
    );
  }

  /** One tool invocation: span `execute_tool {name}` with gen_ai.tool.*. */
  withToolCall<T>(opts: ToolCallOptions, fn: (tool: ToolCallHandle) => Promise<T>): Promise<T> {
    requireName('withToolCall toolName', opts.toolName);
    const attributes: Attributes = {
      [GEN_AI.OPERATION_NAME]: GEN_AI_OPERATION.EXECUTE_TOOL,
      [GEN_AI.TOOL_NAME]: opts.toolName,
    };
    if (opts.toolType) attributes[GEN_AI.TOOL_TYPE] = opts.toolType;
    if (opts.callId) attributes[GEN_AI.TOOL_CALL_ID] = opts.callId;
    const outer = frameOf(currentContext())?.handle;
    return this.instrument(
      `${GEN_AI_OPERATION.EXECUTE_TOOL} ${opts.toolName}`,
      attributes,
      (span) => Object.assign(new SpanHandleImpl(span, outer?.scope ?? { runId: '' }), { toolName: opts.toolName }),
      fn,
      'tool_error',
    );
  }

  /**
   * Wraps any LLM call in a GenAI inference span (`chat {model}`, CLIENT) with usage and
   * `flowtrace.cost.usd` priced like the pipeline does. `extract` reads the facts off the result.
   */
  async trackLlmCall<T>(opts: LlmCallOptions, call: () => Promise<T>, extract: (result: T) => LlmCallFacts): Promise<T> {
    requireName('trackLlmCall provider', opts.provider);
    requireName('trackLlmCall model', opts.model);
    const inference = this.startInference(opts);
    let result: T;
    try {
      result = await inference.run(call);
    } catch (err) {
      // The caller's own OpenAI / Anthropic SDK errors get the same reasons as the executor's.
      const classified = classifyProviderError(opts.provider, err, { cancelled: false, timedOut: false });
      inference.fail(err, failureReasonOf(err, classified.reason), classified.status);
      throw err;
    }
    let facts: LlmCallFacts;
    try {
      facts = extract(result);
    } catch (err) {
      inference.fail(err, 'parse_error');
      throw err;
    }
    inference.succeed(facts, callCostUsd(opts.provider, opts.model, facts.responseModel, facts.usage));
    return result;
  }

  /** A GenAI inference span under the current step; the llm runner opens one per attempt. */
  startInference(req: InferenceRequest): InferenceSpan {
    return new InferenceSpan(this, req);
  }

  /** Resolves once every span finished so far has been delivered (or its export failed). */
  async forceFlush(): Promise<void> {
    await this.tracerProvider.forceFlush();
    // The batch processor does not wait for an export its timer already started; the exporter does.
    await this.exporter?.forceFlush?.();
  }

  /** Exports what is buffered and stops; call before the process exits. */
  shutdown(): Promise<void> {
    if (defaultTelemetry === this) defaultTelemetry = undefined;
    return this.tracerProvider.shutdown();
  }

  private async instrument<H extends SpanHandle, T>(
    name: string,
    attributes: Attributes,
    makeHandle: (span: Span) => H & SpanHandleImpl,
    fn: (handle: H) => Promise<T>,
    defaultReason: FailureReason,
  ): Promise<T> {
    const parent = currentContext();
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
    const handle = makeHandle(span);
    try {
      return await runInFrame(parent, span, { telemetry: this, handle }, () => fn(handle));
    } catch (err) {
      if (!handle.failed) handle.fail(err, failureReasonOf(err, defaultReason));
      throw err;
    } finally {
      span.end();
    }
  }
}

function buildResource(serviceName: string | undefined) {
  const fromEnv = detectResources({ detectors: [envDetector] });
  return defaultResource()
    .merge(resourceFromAttributes({ [SERVICE_NAME]: DEFAULT_SERVICE_NAME }))
    .merge(fromEnv)
    .merge(serviceName ? resourceFromAttributes({ [SERVICE_NAME]: serviceName }) : null);
}

/**
 * Sets up span export: OTLP/HTTP protobuf to `endpoint`, else the OTEL_EXPORTER_OTLP_*
 * variables, else http://127.0.0.1:4318; batched with a short delay. The tracer provider is
 * not registered globally, so several instances (tests) and a host application's own SDK
 * coexist; the newest instance becomes the default of the free functions (withRun, ...).
 * An async-local context manager is registered unless the host has one, so spans other
 * code starts inside a step (any tracer) nest under it and carry the run id.
 */
export function createTelemetry(config: TelemetryConfig = {}): Telemetry {
  const env = process.env;
  ensureContextManager();
  const processors: SpanProcessor[] = [new RunContextSpanProcessor()];
  const exporter = config.exporter ?? (exportDisabled(env) ? undefined : new OTLPTraceExporter({ url: tracesUrl(config.endpoint, env) }));
  if (exporter) {
    processors.push(
      new BatchSpanProcessor(exporter, { scheduledDelayMillis: env.OTEL_BSP_SCHEDULE_DELAY ? undefined : DEFAULT_SCHEDULE_DELAY_MS }),
    );
  }
  const provider = new BasicTracerProvider({ resource: buildResource(config.serviceName), spanProcessors: processors });
  defaultTelemetry = new Telemetry(provider, config.captureContent ?? captureContentFromEnv(env), exporter);
  return defaultTelemetry;
}

let contextManagerChecked = false;

function ensureContextManager(): void {
  if (contextManagerChecked) return;
  contextManagerChecked = true;
  const manager = new AsyncLocalStorageContextManager();
  // false = the host registered one already, which serves as well.
  if (context.setGlobalContextManager(manager.enable())) return;
  manager.disable();
}

/** The most recently created (and not shut down) instance: what the free functions use outside a run. */
let defaultTelemetry: Telemetry | undefined;

/**
 * The telemetry of the current run, else the default instance, else one created from the
 * environment on first use (flushed when the event loop empties, as nobody else will).
 */
export function activeTelemetry(): Telemetry {
  const inFrame = frameOf(currentContext())?.telemetry;
  if (inFrame) return inFrame;
  if (defaultTelemetry) return defaultTelemetry;
  const created = createTelemetry();
  process.once('beforeExit', () => void created.shutdown());
  return created;
}
