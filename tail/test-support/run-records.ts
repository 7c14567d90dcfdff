// Span records of FlowTrace runs as the executor emits them (DESIGN.md §4): run, steps,
// one span per LLM attempt, tool calls, retry / fallback / cache-hit / budget events,
// content when capture is on. Spans are listed in the order an OpenTelemetry SDK exports
// them (by end time). Test support only.
import { ERROR_TYPE, FLOWTRACE, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR, GEN_AI, HTTP_RESPONSE_STATUS_CODE, SERVICE_NAME } from '../../core/semconv.ts';
import type { Attributes, SpanEvent, SpanRecord } from '../../core/span.ts';

export interface AttemptSketch {
  provider: string;
  model: string;
  ms: number;
  input?: number;
  output?: number;
  cacheRead?: number;
  /** A failed attempt: error.type (and HTTP status) the taxonomy classifies. */
  fail?: { errorType: string; httpStatus?: number; message: string };
  fallbackFrom?: string;
}

export interface RunOptions {
  runId: string;
  workflowId: string;
  startMs: number;
  projectId?: string;
  serviceName?: string;
  /** Record prompts and completions (content capture on). */
  capture?: boolean;
  /** Trace id (32 hex); derived from the run id when absent. */
  traceId?: string;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const ns = (ms: number) => BigInt(Math.round(ms * 1000)) * 1000n;
let nextSpanNumber = 0x1000;

export class RunRecords {
  private readonly spans: SpanRecord[] = [];
  private readonly root: SpanRecord;
  private clock: number;
  private stepNumber = 0;

  constructor(private readonly options: RunOptions) {
    const traceId = options.traceId ?? [...options.runId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(16).padStart(32, 'a');
    this.clock = options.startMs + 2;
    this.root = this.record({
      traceId,
      parentSpanId: '',
      name: `invoke_workflow ${options.workflowId}`,
      startMs: options.startMs,
      attributes: {
        [GEN_AI.OPERATION_NAME]: 'invoke_workflow',
        [GEN_AI.WORKFLOW_NAME]: options.workflowId,
        [FLOWTRACE.WORKFLOW_ID]: options.workflowId,
        [FLOWTRACE.WORKFLOW_VERSION]: '1',
      },
    });
  }

  private record(fields: { traceId?: string; parentSpanId?: string; name: string; startMs: number; kind?: SpanRecord['kind']; attributes: Attributes }): SpanRecord {
    const span: SpanRecord = {
      projectId: this.options.projectId ?? 'default',
      traceId: fields.traceId ?? this.root.traceId,
      spanId: hex(++nextSpanNumber, 16),
      parentSpanId: fields.parentSpanId ?? this.root.spanId,
      traceState: '',
      name: fields.name,
      kind: fields.kind ?? 'Internal',
      startTimeUnixNano: ns(fields.startMs),
      endTimeUnixNano: ns(fields.startMs),
      serviceName: this.options.serviceName ?? 'support-agent',
      resourceAttributes: { [SERVICE_NAME]: this.options.serviceName ?? 'support-agent' },
      scopeName: 'flowtrace.executor',
      scopeVersion: '0.1.0',
      attributes: { ...fields.attributes, [FLOWTRACE.RUN_ID]: this.options.runId },
      statusCode: 'Unset',
      statusMessage: '',
      events: [],
      links: [],
    };
    return span;
  }

  private end(span: SpanRecord, atMs: number, failure?: { errorType: string; message: string }): SpanRecord {
    span.endTimeUnixNano = ns(atMs);
    if (failure) {
      span.statusCode = 'Error';
      span.statusMessage = failure.message;
      span.attributes[ERROR_TYPE] = failure.errorType;
    } else span.statusCode = 'Ok';
    this.spans.push(span);
    return span;
  }

  private event(span: SpanRecord, name: string, attributes: Attributes): void {
    span.events.push({ timeUnixNano: ns(this.clock), name, attributes } satisfies SpanEvent);
  }

  private openStep(nodeId: string, nodeType: string, label: string): SpanRecord {
    this.clock += 3;
    const stepId = `${this.options.runId}:${++this.stepNumber}`;
    const attributes: Attributes = { [FLOWTRACE.STEP_ID]: stepId, [FLOWTRACE.NODE_ID]: nodeId, [FLOWTRACE.NODE_TYPE]: nodeType };
    if (label) attributes[FLOWTRACE.SEMANTIC_LABEL] = label;
    return this.record({ name: `step ${nodeId}`, startMs: this.clock, attributes });
  }

  /** An llm step: one span per attempt, retry events between attempts on a target, a fallback event between targets. */
  llmStep(nodeId: string, label: string, attempts: AttemptSketch[]): this {
    const step = this.openStep(nodeId, 'llm', label);
    const stepId = step.attributes[FLOWTRACE.STEP_ID]!;
    attempts.forEach((a, i) => {
      const previous = attempts[i - 1];
      if (previous?.fail && previous.model === a.model) {
        this.event(step, FLOWTRACE_EVENT.RETRY, { [FLOWTRACE_EVENT_ATTR.ATTEMPT]: String(i + 1), [FLOWTRACE_EVENT_ATTR.DELAY_MS]: '250', [FLOWTRACE_EVENT_ATTR.REASON]: previous.fail.errorType });
        this.clock += 250;
      } else if (previous?.fail) {
        this.event(step, FLOWTRACE_EVENT.FALLBACK, {
          [FLOWTRACE_EVENT_ATTR.FROM]: `${previous.provider}/${previous.model}`,
          [FLOWTRACE_EVENT_ATTR.TO]: `${a.provider}/${a.model}`,
          [FLOWTRACE_EVENT_ATTR.REASON]: previous.fail.errorType,
        });
      }
      const attributes: Attributes = {
        [GEN_AI.OPERATION_NAME]: 'chat',
        [GEN_AI.PROVIDER_NAME]: a.provider,
        [GEN_AI.REQUEST_MODEL]: a.model,
        [FLOWTRACE.STEP_ID]: stepId,
        [FLOWTRACE.ATTEMPT]: String(i + 1),
      };
      if (label) attributes[FLOWTRACE.SEMANTIC_LABEL] = label;
      if (a.fallbackFrom) attributes[FLOWTRACE.FALLBACK_FROM] = a.fallbackFrom;
      if (this.options.capture) attributes[GEN_AI.INPUT_MESSAGES] = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `${nodeId} prompt ${i + 1}` }] }]);
      if (a.input !== undefined) {
        attributes[GEN_AI.USAGE_INPUT_TOKENS] = String(a.input);
        attributes[GEN_AI.USAGE_OUTPUT_TOKENS] = String(a.output ?? 0);
        if (a.cacheRead) attributes[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] = String(a.cacheRead);
      }
      if (!a.fail) {
        attributes[GEN_AI.RESPONSE_MODEL] = a.model;
        if (this.options.capture) attributes[GEN_AI.OUTPUT_MESSAGES] = JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `${nodeId} answer` }] }]);
      }
      if (a.fail?.httpStatus !== undefined) attributes[HTTP_RESPONSE_STATUS_CODE] = String(a.fail.httpStatus);
      const span = this.record({ parentSpanId: step.spanId, name: `chat ${a.model}`, kind: 'Client', startMs: this.clock, attributes });
      this.clock += a.ms;
      this.end(span, this.clock, a.fail);
      this.clock += 5;
    });
    const last = attempts[attempts.length - 1];
    this.clock += 2;
    this.end(step, this.clock, last?.fail);
    return this;
  }

  toolStep(nodeId: string, tool: string, ms: number, fail?: { errorType: string; message: string }): this {
    const step = this.openStep(nodeId, 'tool', '');
    const attributes: Attributes = { [GEN_AI.OPERATION_NAME]: 'execute_tool', [GEN_AI.TOOL_NAME]: tool, [FLOWTRACE.STEP_ID]: step.attributes[FLOWTRACE.STEP_ID]! };
    if (this.options.capture) attributes[GEN_AI.TOOL_CALL_ARGUMENTS] = JSON.stringify({ query: nodeId });
    const call = this.record({ parentSpanId: step.spanId, name: `execute_tool ${tool}`, startMs: this.clock + 1, attributes });
    this.clock += ms;
    this.end(call, this.clock, fail);
    this.clock += 2;
    this.end(step, this.clock, fail);
    return this;
  }

  routerStep(nodeId: string, branch: string): this {
    const step = this.openStep(nodeId, 'router', '');
    step.attributes[FLOWTRACE.ROUTER_BRANCH] = branch;
    this.clock += 1;
    this.end(step, this.clock);
    return this;
  }

  /** An llm step answered from the exact-match cache: no provider call. */
  cachedStep(nodeId: string, label: string, saved: { input: number; output: number; costUsd: string }): this {
    const step = this.openStep(nodeId, 'llm', label);
    step.attributes[FLOWTRACE.CACHE_HIT] = 'true';
    this.clock += 1;
    this.event(step, FLOWTRACE_EVENT.CACHE_HIT, {
      [FLOWTRACE_EVENT_ATTR.KEY_HASH]: `sha256:${nodeId}`,
      [FLOWTRACE_EVENT_ATTR.SAVED_INPUT_TOKENS]: String(saved.input),
      [FLOWTRACE_EVENT_ATTR.SAVED_OUTPUT_TOKENS]: String(saved.output),
      [FLOWTRACE_EVENT_ATTR.SAVED_COST_USD]: saved.costUsd,
    });
    this.clock += 2;
    this.end(step, this.clock);
    return this;
  }

  /** A soft budget warning on the run span. */
  budgetWarning(spentUsd: string, limitUsd: string): this {
    this.event(this.root, FLOWTRACE_EVENT.BUDGET, {
      [FLOWTRACE_EVENT_ATTR.KIND]: 'soft',
      [FLOWTRACE_EVENT_ATTR.SPENT_USD]: spentUsd,
      [FLOWTRACE_EVENT_ATTR.LIMIT_USD]: limitUsd,
    });
    return this;
  }

  /** Ends the run span; returns every span of the run in export (end time) order. */
  finish(failure?: { errorType: string; message: string }): SpanRecord[] {
    this.clock += 3;
    this.end(this.root, this.clock, failure);
    return [...this.spans].sort((a, b) => (a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0));
  }

  /** The spans ended so far (a run still in flight). */
  inFlight(): SpanRecord[] {
    return [...this.spans].sort((a, b) => (a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0));
  }
}

/** Splits spans into batches of `size`, as an exporter's batch span processor would send them. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
