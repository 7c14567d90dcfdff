// Span records of realistic FlowTrace runs for the views benchmark, as the executor emits
// them (DESIGN.md §4): a workflow span, one span per step, one span per LLM attempt with
// usage (retries on the same target, fallbacks to another provider, cache hits without a
// provider call), tool calls, router branches, failures that end the run, cancelled and
// still-running runs. Seeded, so the same options always give the same spans.
import { ERROR_TYPE, FLOWTRACE, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR, GEN_AI, HTTP_RESPONSE_STATUS_CODE, SERVICE_NAME } from '../../core/semconv.ts';
import type { Attributes, SpanRecord } from '../../core/span.ts';

/** A deterministic pseudo-random source (mulberry32): the dataset must be reproducible. */
export class Random {
  constructor(private state: number) {}

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[item, weight], …]`. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let at = this.next() * total;
    for (const [item, w] of items) if ((at -= w) < 0) return item;
    return items[items.length - 1]![0];
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

interface Target {
  provider: string;
  model: string;
}

type NodeSketch =
  | { type: 'llm'; id: string; label: string; target: Target; fallback?: Target }
  | { type: 'tool'; id: string; tool: string; toolType?: string }
  | { type: 'router'; id: string; branches: readonly string[] };

interface WorkflowSketch {
  id: string;
  name: string;
  service: string;
  weight: number;
  nodes: readonly NodeSketch[];
}

const GPT_4O_MINI = { provider: 'openai', model: 'gpt-4o-mini' };
const GPT_4O = { provider: 'openai', model: 'gpt-4o' };
const GPT_41_MINI = { provider: 'openai', model: 'gpt-4.1-mini' };
const O3_MINI = { provider: 'openai', model: 'o3-mini' };
const HAIKU = { provider: 'anthropic', model: 'claude-3-5-haiku-latest' };
const SONNET = { provider: 'anthropic', model: 'claude-sonnet-4-5' };
/** A self-hosted model without a known price: its calls stay unpriced (cost NULL). */
const SELF_HOSTED = { provider: 'acme', model: 'acme-llm-1' };

const WORKFLOWS: readonly WorkflowSketch[] = [
  {
    id: 'support-triage', name: 'Support triage', service: 'support-agent', weight: 30,
    nodes: [
      { type: 'llm', id: 'classify', label: 'classification', target: GPT_4O_MINI, fallback: HAIKU },
      { type: 'tool', id: 'lookup-account', tool: 'crm.lookup' },
      { type: 'router', id: 'route', branches: ['billing', 'technical', 'other'] },
      { type: 'tool', id: 'search-kb', tool: 'kb.search', toolType: 'datastore' },
      { type: 'llm', id: 'draft-reply', label: 'drafting', target: GPT_4O, fallback: SONNET },
      { type: 'llm', id: 'policy-check', label: 'guardrail', target: GPT_4O_MINI },
      { type: 'llm', id: 'summarize', label: 'summarization', target: HAIKU, fallback: GPT_4O_MINI },
    ],
  },
  {
    id: 'research-report', name: 'Research report', service: 'research-agent', weight: 20,
    nodes: [
      { type: 'llm', id: 'plan', label: 'planning', target: O3_MINI, fallback: SONNET },
      { type: 'tool', id: 'web-search', tool: 'web.search' },
      { type: 'tool', id: 'fetch-page', tool: 'http.fetch' },
      { type: 'llm', id: 'extract', label: 'extraction', target: GPT_41_MINI, fallback: HAIKU },
      { type: 'router', id: 'enough', branches: ['more', 'write'] },
      { type: 'llm', id: 'write', label: 'drafting', target: SONNET, fallback: GPT_4O },
      { type: 'llm', id: 'critique', label: 'review', target: GPT_4O_MINI },
    ],
  },
  {
    id: 'code-review', name: 'Code review', service: 'ops-agent', weight: 15,
    nodes: [
      { type: 'tool', id: 'fetch-diff', tool: 'git.diff' },
      { type: 'llm', id: 'analyze', label: 'analysis', target: SONNET, fallback: GPT_4O },
      { type: 'tool', id: 'lint', tool: 'eslint' },
      { type: 'llm', id: 'suggest', label: 'drafting', target: GPT_4O },
      { type: 'router', id: 'severity', branches: ['block', 'comment'] },
      { type: 'llm', id: 'summarize', label: 'summarization', target: GPT_4O_MINI, fallback: HAIKU },
    ],
  },
  {
    id: 'sales-email', name: 'Sales email', service: 'support-agent', weight: 15,
    nodes: [
      { type: 'tool', id: 'enrich-lead', tool: 'crm.enrich' },
      { type: 'llm', id: 'draft', label: 'drafting', target: GPT_4O_MINI, fallback: HAIKU },
      { type: 'llm', id: 'tone', label: 'rewriting', target: SELF_HOSTED, fallback: GPT_4O_MINI },
      { type: 'router', id: 'approve', branches: ['send', 'revise'] },
    ],
  },
  {
    id: 'doc-qa', name: 'Document Q&A', service: 'research-agent', weight: 12,
    nodes: [
      { type: 'tool', id: 'retrieve', tool: 'vector.search', toolType: 'datastore' },
      { type: 'llm', id: 'answer', label: 'answering', target: GPT_41_MINI, fallback: HAIKU },
      { type: 'llm', id: 'verify', label: 'review', target: HAIKU },
    ],
  },
  {
    id: 'data-extract', name: 'Data extraction', service: 'ops-agent', weight: 8,
    nodes: [
      { type: 'tool', id: 'ocr', tool: 'ocr.read' },
      { type: 'llm', id: 'extract', label: 'extraction', target: GPT_4O_MINI, fallback: GPT_41_MINI },
      { type: 'tool', id: 'validate', tool: 'schema.validate' },
      { type: 'router', id: 'valid', branches: ['done', 'repair'] },
      { type: 'llm', id: 'repair', label: 'repair', target: GPT_4O },
    ],
  },
];

const WORKFLOW_WEIGHTS = WORKFLOWS.map((w) => [w, w.weight] as const);

interface AttemptFailure {
  errorType: string;
  message: string;
  httpStatus?: number;
  /** The response arrived (tokens billed) but could not be used. */
  billed: boolean;
}

const MODEL_FAILURES: ReadonlyArray<readonly [AttemptFailure, number]> = [
  [{ errorType: 'RateLimitError', message: 'Rate limit reached for requests', httpStatus: 429, billed: false }, 50],
  [{ errorType: 'OverloadedError', message: 'Overloaded', httpStatus: 529, billed: false }, 20],
  [{ errorType: 'APIConnectionTimeoutError', message: 'Request timed out.', billed: false }, 15],
  [{ errorType: 'SyntaxError', message: 'SyntaxError: Unexpected token } in JSON at position 212', billed: true }, 15],
];

const TOOL_FAILURES: ReadonlyArray<readonly [AttemptFailure, number]> = [
  [{ errorType: 'ToolException', message: 'tool failed: upstream returned 502', billed: false }, 80],
  [{ errorType: 'TimeoutError', message: 'tool timed out after 30000 ms', billed: false }, 20],
];

const MAX_ATTEMPTS_PER_TARGET = 3;
const MS = 1_000_000n;

/** What shapes the runs; every field changes the dataset, so it belongs in a cache key. */
export interface RunsGeneratorOptions {
  seed: number;
  /** Runs start uniformly in [endMs - spreadMs, endMs - 5 min]. */
  endMs: number;
  spreadMs: number;
  /** Share of runs in another project than `default` (tenancy). */
  otherProjectShare: number;
}

/** The spans of one run, in export (end time) order, and what the run turned out to be. */
export interface GeneratedRun {
  runId: string;
  traceId: string;
  projectId: string;
  workflowId: string;
  startMs: number;
  status: 'succeeded' | 'failed' | 'canceled' | 'running';
  spans: SpanRecord[];
}

/** Generates runs one at a time; each run has exactly the number of spans asked for. */
export class RunsGenerator {
  private readonly random: Random;

  constructor(private readonly options: RunsGeneratorOptions) {
    this.random = new Random(options.seed);
  }

  /** A start time for the next run (uniform in the configured window). */
  nextStartMs(): number {
    const { endMs, spreadMs } = this.options;
    return Math.round(endMs - 5 * 60_000 - this.random.next() * (spreadMs - 5 * 60_000));
  }

  /**
   * One run with exactly `spanCount` spans (≥ 2): node executions follow the workflow's
   * nodes, looping like an agent until the run has its spans, unless a failure or a
   * cancellation ends it early — then the remaining spans are not emitted.
   */
  run(startMs: number, spanCount: number, options: { endAtMs?: number; inFlightAllowed?: boolean } = {}): GeneratedRun {
    const r = this.random;
    const workflow = r.weighted(WORKFLOW_WEIGHTS);
    const projectId = r.chance(this.options.otherProjectShare) ? 'acme' : 'default';
    const builder = new RunBuilder(r, workflow, projectId, startMs);
    const inFlight = options.inFlightAllowed !== false && r.chance(0.003);
    const cancelAt = r.chance(0.004) ? r.int(1, Math.max(1, spanCount - 2)) : -1;
    /** A degraded provider in this run: primary targets fail often, so fallbacks happen. */
    const degraded = r.chance(0.06);
    let budget = spanCount - 1; // the run span
    let failed: AttemptFailure | undefined;
    let cancelled = false;
    for (let i = 0; budget > 0; i++) {
      if (cancelAt >= 0 && budget <= spanCount - 1 - cancelAt) {
        cancelled = true;
        break;
      }
      const node = workflow.nodes[i % workflow.nodes.length]!;
      const emitted = builder.step(node, budget, degraded, i);
      budget -= emitted.spans;
      if (emitted.failure) {
        failed = emitted.failure;
        break;
      }
    }
    let status: GeneratedRun['status'] = 'running';
    if (!inFlight || failed || cancelled) {
      builder.finish(cancelled ? { errorType: 'AbortError', message: 'run cancelled by user', billed: false } : failed);
      status = cancelled ? 'canceled' : failed ? 'failed' : 'succeeded';
    }
    if (options.endAtMs !== undefined) builder.endAllAt(options.endAtMs);
    return { ...builder.identity(), status, spans: builder.exportOrder() };
  }
}

/** Builds one run's spans on a clock that advances as the run executes. */
class RunBuilder {
  private readonly spans: SpanRecord[] = [];
  private readonly root: SpanRecord;
  private readonly runId: string;
  private clockMs: number;
  private spentUsd = 0;

  constructor(
    private readonly r: Random,
    private readonly workflow: WorkflowSketch,
    private readonly projectId: string,
    private readonly startMs: number,
  ) {
    this.runId = r.uuid();
    this.clockMs = startMs + r.int(1, 5);
    this.root = this.span('', `invoke_workflow ${workflow.name}`, 'Internal', startMs, {
      [GEN_AI.OPERATION_NAME]: 'invoke_workflow',
      [GEN_AI.WORKFLOW_NAME]: workflow.name,
      [FLOWTRACE.WORKFLOW_ID]: workflow.id,
      [FLOWTRACE.WORKFLOW_VERSION]: String(1 + (r.next() < 0.3 ? 1 : 0)),
    }, r.hex(32));
  }

  identity() {
    return { runId: this.runId, traceId: this.root.traceId, projectId: this.projectId, workflowId: this.workflow.id, startMs: this.startMs };
  }

  /** One node execution; returns how many spans it emitted and the failure that ends the run, if any. */
  step(node: NodeSketch, budget: number, degraded: boolean, index: number): { spans: number; failure?: AttemptFailure } {
    // The last spans of the run's budget: a router (1 span) or a tool step (2) fits exactly.
    if (budget === 1 || (node.type === 'router' && budget >= 1)) return { spans: this.routerStep(node.type === 'router' ? node : { type: 'router', id: 'decide', branches: ['next', 'stop'] }) };
    if (node.type === 'tool' || budget === 2) return this.toolStep(node.type === 'tool' ? node : { type: 'tool', id: `${node.id}-tool`, tool: 'python.exec' });
    // Never a cache hit on the first node: its input is the run's own.
    if (index > 0 && this.r.chance(0.15)) return { spans: this.cachedStep(node) };
    return this.llmStep(node, budget, degraded);
  }

  private openStep(nodeId: string, nodeType: string, label: string): SpanRecord {
    this.clockMs += this.r.int(1, 8);
    const attributes: Attributes = {
      [FLOWTRACE.STEP_ID]: this.r.uuid(),
      [FLOWTRACE.NODE_ID]: nodeId,
      [FLOWTRACE.NODE_TYPE]: nodeType,
    };
    if (label !== '') attributes[FLOWTRACE.SEMANTIC_LABEL] = label;
    return this.span(this.root.spanId, `step ${nodeId}`, 'Internal', this.clockMs, attributes);
  }

  private routerStep(node: Extract<NodeSketch, { type: 'router' }>): number {
    const step = this.openStep(node.id, 'router', '');
    step.attributes[FLOWTRACE.ROUTER_BRANCH] = this.r.pick(node.branches);
    this.clockMs += this.r.int(0, 2);
    this.end(step);
    return 1;
  }

  private toolStep(node: Extract<NodeSketch, { type: 'tool' }>): { spans: number; failure?: AttemptFailure } {
    const step = this.openStep(node.id, 'tool', '');
    const attributes: Attributes = {
      [GEN_AI.OPERATION_NAME]: 'execute_tool',
      [GEN_AI.TOOL_NAME]: node.tool,
      [GEN_AI.TOOL_TYPE]: node.toolType ?? 'function',
      [GEN_AI.TOOL_CALL_ID]: this.r.uuid(),
      [FLOWTRACE.STEP_ID]: step.attributes[FLOWTRACE.STEP_ID]!,
    };
    const call = this.span(step.spanId, `execute_tool ${node.tool}`, 'Internal', this.clockMs + 1, attributes);
    this.clockMs += this.r.int(20, 1500);
    const failure = this.r.chance(0.004) ? this.r.weighted(TOOL_FAILURES) : undefined;
    this.end(call, failure);
    this.clockMs += this.r.int(1, 3);
    this.end(step, failure);
    return { spans: 2, failure };
  }

  private cachedStep(node: NodeSketch): number {
    const label = node.type === 'llm' ? node.label : '';
    const step = this.openStep(node.id, 'llm', label);
    step.attributes[FLOWTRACE.CACHE_HIT] = 'true';
    const input = this.r.int(200, 3000);
    const output = this.r.int(50, 600);
    this.clockMs += this.r.int(1, 4);
    this.event(step, FLOWTRACE_EVENT.CACHE_HIT, {
      [FLOWTRACE_EVENT_ATTR.KEY_HASH]: `sha256:${this.r.hex(64)}`,
      [FLOWTRACE_EVENT_ATTR.SAVED_INPUT_TOKENS]: String(input),
      [FLOWTRACE_EVENT_ATTR.SAVED_OUTPUT_TOKENS]: String(output),
      [FLOWTRACE_EVENT_ATTR.SAVED_COST_USD]: usd(input * 0.15e-6 + output * 0.6e-6),
    });
    this.clockMs += this.r.int(1, 3);
    this.end(step);
    return 1;
  }

  /**
   * Attempts on the primary target (each failure retried, up to 3), then on the fallback
   * target; never more attempts than the budget has spans left. A step whose last attempt
   * failed fails the run.
   */
  private llmStep(node: NodeSketch, budget: number, degraded: boolean): { spans: number; failure?: AttemptFailure } {
    const sketch = node as Extract<NodeSketch, { type: 'llm' }>;
    const step = this.openStep(sketch.id, 'llm', sketch.label);
    const stepId = step.attributes[FLOWTRACE.STEP_ID]!;
    const maxAttempts = budget - 1;
    const targets: Array<{ target: Target; fallbackFrom?: string }> = [{ target: sketch.target }];
    if (sketch.fallback) targets.push({ target: sketch.fallback, fallbackFrom: `${sketch.target.provider}/${sketch.target.model}` });
    let attempt = 0;
    let failure: AttemptFailure | undefined;
    outer: for (const [t, { target, fallbackFrom }] of targets.entries()) {
      const failRate = t === 0 && degraded ? 0.55 : 0.06;
      for (let onTarget = 0; onTarget < MAX_ATTEMPTS_PER_TARGET; onTarget++) {
        if (attempt === maxAttempts) break outer;
        attempt++;
        if (failure && onTarget > 0) {
          this.event(step, FLOWTRACE_EVENT.RETRY, {
            [FLOWTRACE_EVENT_ATTR.ATTEMPT]: String(attempt),
            [FLOWTRACE_EVENT_ATTR.DELAY_MS]: String(250 * 2 ** (onTarget - 1)),
            [FLOWTRACE_EVENT_ATTR.REASON]: failure.errorType,
          });
          this.clockMs += 250 * 2 ** (onTarget - 1);
        } else if (failure) {
          this.event(step, FLOWTRACE_EVENT.FALLBACK, {
            [FLOWTRACE_EVENT_ATTR.FROM]: fallbackFrom!,
            [FLOWTRACE_EVENT_ATTR.TO]: `${target.provider}/${target.model}`,
            [FLOWTRACE_EVENT_ATTR.REASON]: failure.errorType,
          });
        }
        failure = this.r.chance(failRate) ? this.r.weighted(MODEL_FAILURES) : undefined;
        this.attemptSpan(step.spanId, stepId, sketch.label, target, attempt, fallbackFrom, failure);
        if (!failure) break outer;
      }
    }
    this.clockMs += this.r.int(1, 3);
    this.end(step, failure);
    return { spans: 1 + attempt, failure };
  }

  private attemptSpan(parent: string, stepId: string, label: string, target: Target, attempt: number, fallbackFrom: string | undefined, failure: AttemptFailure | undefined): void {
    const r = this.r;
    const attributes: Attributes = {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.PROVIDER_NAME]: target.provider,
      [GEN_AI.REQUEST_MODEL]: target.model,
      [GEN_AI.REQUEST_MAX_TOKENS]: '1024',
      [FLOWTRACE.STEP_ID]: stepId,
      [FLOWTRACE.SEMANTIC_LABEL]: label,
      [FLOWTRACE.ATTEMPT]: String(attempt),
    };
    if (fallbackFrom) attributes[FLOWTRACE.FALLBACK_FROM] = fallbackFrom;
    const span = this.span(parent, `chat ${target.model}`, 'Client', this.clockMs, attributes);
    if (!failure || failure.billed) {
      const input = r.int(150, 4000);
      const output = r.int(20, 900);
      attributes[GEN_AI.USAGE_INPUT_TOKENS] = String(input);
      attributes[GEN_AI.USAGE_OUTPUT_TOKENS] = String(output);
      if (r.chance(0.3)) attributes[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] = String(r.int(0, Math.floor(input / 2)));
      if (target.model === 'o3-mini') attributes[GEN_AI.USAGE_REASONING_OUTPUT_TOKENS] = String(r.int(0, output));
      attributes[GEN_AI.RESPONSE_MODEL] = target.model;
      attributes[GEN_AI.RESPONSE_ID] = `resp_${r.hex(24)}`;
      attributes[GEN_AI.RESPONSE_FINISH_REASONS] = JSON.stringify([r.chance(0.03) ? 'length' : 'stop']);
      this.spentUsd += (input * 1e-6 + output * 4e-6);
      this.clockMs += r.int(300, 6000);
    } else {
      this.clockMs += failure.errorType === 'APIConnectionTimeoutError' ? 30_000 : r.int(50, 400);
    }
    if (failure?.httpStatus !== undefined) attributes[HTTP_RESPONSE_STATUS_CODE] = String(failure.httpStatus);
    this.end(span, failure);
    this.clockMs += r.int(1, 5);
  }

  /** Ends the run span (a soft budget warning on some runs). */
  finish(failure: AttemptFailure | undefined): void {
    if (this.r.chance(0.03)) {
      this.event(this.root, FLOWTRACE_EVENT.BUDGET, {
        [FLOWTRACE_EVENT_ATTR.KIND]: 'soft',
        [FLOWTRACE_EVENT_ATTR.SPENT_USD]: usd(this.spentUsd),
        [FLOWTRACE_EVENT_ATTR.LIMIT_USD]: '0.05',
      });
    }
    this.clockMs += this.r.int(1, 4);
    this.end(this.root, failure);
  }

  /**
   * Moves every span so the last one ends exactly at `endMs` (live batches: the bench
   * measures delivery from that moment); earlier spans end just before it, in order.
   */
  endAllAt(endMs: number): void {
    const last = this.spans.reduce((max, s) => (s.endTimeUnixNano > max ? s.endTimeUnixNano : max), 0n);
    const shift = BigInt(endMs) * MS - last;
    for (const s of this.spans) {
      s.startTimeUnixNano += shift;
      s.endTimeUnixNano += shift;
      for (const e of s.events) e.timeUnixNano += shift;
    }
  }

  exportOrder(): SpanRecord[] {
    return this.spans.sort((a, b) => (a.endTimeUnixNano < b.endTimeUnixNano ? -1 : a.endTimeUnixNano > b.endTimeUnixNano ? 1 : 0));
  }

  private span(parentSpanId: string, name: string, kind: SpanRecord['kind'], startMs: number, attributes: Attributes, traceId?: string): SpanRecord {
    attributes[FLOWTRACE.RUN_ID] = this.runId;
    return {
      projectId: this.projectId,
      traceId: traceId ?? this.root.traceId,
      spanId: this.r.hex(16),
      parentSpanId,
      traceState: '',
      name,
      kind,
      startTimeUnixNano: BigInt(startMs) * MS,
      endTimeUnixNano: BigInt(startMs) * MS,
      serviceName: this.workflow.service,
      resourceAttributes: { [SERVICE_NAME]: this.workflow.service, 'service.version': '1.4.2', 'telemetry.sdk.language': 'nodejs' },
      scopeName: 'flowtrace.executor',
      scopeVersion: '0.1.0',
      attributes,
      statusCode: 'Unset',
      statusMessage: '',
      events: [],
      links: [],
    };
  }

  private end(span: SpanRecord, failure?: AttemptFailure): void {
    span.endTimeUnixNano = BigInt(this.clockMs) * MS + BigInt(this.r.int(0, 999_999));
    if (failure) {
      span.statusCode = 'Error';
      span.statusMessage = failure.message;
      span.attributes[ERROR_TYPE] = failure.errorType;
    } else span.statusCode = 'Ok';
    this.spans.push(span);
  }

  private event(span: SpanRecord, name: string, attributes: Attributes): void {
    span.events.push({ timeUnixNano: BigInt(this.clockMs) * MS, name, attributes });
  }
}

const usd = (value: number) => value.toFixed(9);
