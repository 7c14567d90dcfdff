// The spans the executor emits, checked rule by rule against DESIGN.md §4 (the span model).
// Spans are captured in memory for runs that together have retries, fallbacks, tool calls,
// a router, cache hits, a soft budget warning, a limit stopping the run, Anthropic prompt
// caching and content capture; each rule of §4 is one row of RULES.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TYPE, FLOWTRACE, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR, GEN_AI } from '../../core/semconv.ts';
import { FileResponseCache } from '../../executor/cache/index.ts';
import { createLlmStepRunner, createProviders, runWorkflow, type RunSummary, type WorkflowSpec } from '../../executor/index.ts';
import { ProviderSimulator, type SimulatorStats } from '../../executor/simulator/index.ts';
import { captureTelemetry, parentIdOf, spanIdOf, type CapturedTelemetry } from '../../executor/telemetry/test-support.ts';
import { RESEARCH, fastDemoSpec } from './support/demo-specs.ts';

const GPT_MINI = 'gpt-4o-mini';
const SONNET = 'claude-sonnet-4-20250514';
const CONTENT_ATTRIBUTES = [GEN_AI.INPUT_MESSAGES, GEN_AI.OUTPUT_MESSAGES, GEN_AI.SYSTEM_INSTRUCTIONS];

interface CapturedRun {
  spec: WorkflowSpec;
  summary: RunSummary;
  spans: ReadableSpan[];
  contentCaptured: boolean;
}

/** What the rules look at: every run of the scenario and the provider's own usage. */
interface Scenario {
  runs: Record<'faulted' | 'cached' | 'shallow' | 'limited' | 'captured' | 'cacheRead', CapturedRun>;
  provider: SimulatorStats;
  libraryRun: ReadableSpan[];
}

const attrs = (span: ReadableSpan) => span.attributes as Record<string, unknown>;
const eventAttrs = (event: TimedEvent) => (event.attributes ?? {}) as Record<string, unknown>;
const startNs = (span: ReadableSpan) => span.startTime[0] * 1e9 + span.startTime[1];
const isRun = (span: ReadableSpan) => span.name.startsWith('invoke_workflow ');
const isStep = (span: ReadableSpan) => attrs(span)[FLOWTRACE.NODE_TYPE] !== undefined;
const isChat = (span: ReadableSpan) => span.name.startsWith('chat ');
const isTool = (span: ReadableSpan) => span.name.startsWith('execute_tool ');
const runSpanOf = (run: CapturedRun) => run.spans.find(isRun)!;
const stepsOf = (run: CapturedRun) => run.spans.filter(isStep);
const childrenOf = (run: CapturedRun, parent: ReadableSpan) => run.spans.filter((s) => parentIdOf(s) === spanIdOf(parent)).sort((a, b) => startNs(a) - startNs(b));
const allRuns = (s: Scenario) => Object.values(s.runs);
const label = (span: ReadableSpan) => `${attrs(span)[GEN_AI.PROVIDER_NAME]}/${attrs(span)[GEN_AI.REQUEST_MODEL]}`;
const failed = (span: ReadableSpan) => span.status.code === SpanStatusCode.ERROR;

/** Every llm step span with its attempts in order. */
function llmSteps(s: Scenario) {
  return allRuns(s).flatMap((run) =>
    stepsOf(run)
      .filter((step) => attrs(step)[FLOWTRACE.NODE_TYPE] === 'llm')
      .map((step) => ({ run, step, attempts: childrenOf(run, step).filter(isChat) })),
  );
}

const RULES: Array<{ rule: string; check(s: Scenario): void }> = [
  {
    rule: 'Run: one root span `invoke_workflow {workflow name}`, INTERNAL, gen_ai.operation.name=invoke_workflow, flowtrace.run.id, flowtrace.workflow.id, flowtrace.workflow.version',
    check(s) {
      for (const run of allRuns(s)) {
        const roots = run.spans.filter((span) => parentIdOf(span) === undefined);
        expect(roots.map((span) => span.name)).toEqual([`invoke_workflow ${run.spec.name}`]);
        const root = roots[0]!;
        expect(root.kind).toBe(SpanKind.INTERNAL);
        expect(attrs(root)).toMatchObject({
          [GEN_AI.OPERATION_NAME]: 'invoke_workflow',
          [FLOWTRACE.RUN_ID]: run.summary.runId,
          [FLOWTRACE.WORKFLOW_ID]: run.spec.id,
        });
        expect(attrs(root)[FLOWTRACE.WORKFLOW_VERSION]).toMatch(/^[0-9a-f]{12}$/);
      }
    },
  },
  {
    rule: 'Run: gen_ai.conversation.id when given (library API withRun)',
    check(s) {
      const run = s.libraryRun.find(isRun)!;
      expect(attrs(run)[GEN_AI.CONVERSATION_ID]).toBe('conv-42');
      for (const r of allRuns(s)) expect(attrs(runSpanOf(r))[GEN_AI.CONVERSATION_ID]).toBeUndefined();
    },
  },
  {
    rule: 'Step: one span per node execution, child of the run, with flowtrace.step.id, flowtrace.node.id, flowtrace.node.type (llm|tool|router), flowtrace.semantic_label when set',
    check(s) {
      for (const run of allRuns(s)) {
        const executed = run.summary.steps.filter((step) => step.status !== 'skipped');
        const spans = stepsOf(run);
        expect(spans.map((span) => attrs(span)[FLOWTRACE.STEP_ID]).sort()).toEqual(executed.map((step) => step.stepId).sort());
        for (const span of spans) {
          const node = run.spec.nodes.find((n) => n.id === attrs(span)[FLOWTRACE.NODE_ID])!;
          expect(parentIdOf(span)).toBe(spanIdOf(runSpanOf(run)));
          expect(span.name).toBe(`step ${node.id}`);
          expect(['llm', 'tool', 'router']).toContain(attrs(span)[FLOWTRACE.NODE_TYPE]);
          expect(attrs(span)[FLOWTRACE.NODE_TYPE]).toBe(node.type);
          expect(attrs(span)[FLOWTRACE.SEMANTIC_LABEL]).toBe(node.semantic_label);
        }
      }
    },
  },
  {
    rule: 'Step: router steps carry flowtrace.router.branch (and only they)',
    check(s) {
      const steps = allRuns(s).flatMap((run) => stepsOf(run).map((span) => ({ run, span })));
      let seen = 0;
      for (const { run, span } of steps) {
        const summary = run.summary.steps.find((step) => step.stepId === attrs(span)[FLOWTRACE.STEP_ID])!;
        if (summary.type === 'router') {
          seen++;
          expect(attrs(span)[FLOWTRACE.ROUTER_BRANCH]).toBe(summary.branch);
        } else {
          expect(attrs(span)[FLOWTRACE.ROUTER_BRANCH]).toBeUndefined();
        }
      }
      expect(seen).toBeGreaterThan(0);
      expect(new Set(steps.map(({ span }) => attrs(span)[FLOWTRACE.ROUTER_BRANCH]).filter(Boolean))).toEqual(new Set(['deep', 'shallow']));
    },
  },
  {
    rule: 'LLM attempt: child of its step, one span per attempt (a retry is its own span)',
    check(s) {
      for (const { run, step, attempts } of llmSteps(s)) {
        const summary = run.summary.steps.find((x) => x.stepId === attrs(step)[FLOWTRACE.STEP_ID])!;
        expect(attempts).toHaveLength(summary.cacheHit ? 0 : summary.attempts);
      }
      // Every chat span is one of those attempts.
      const attemptsTotal = llmSteps(s).reduce((n, { attempts }) => n + attempts.length, 0);
      expect(allRuns(s).reduce((n, run) => n + run.spans.filter(isChat).length, 0)).toBe(attemptsTotal);
      expect(llmSteps(s).some(({ attempts }) => attempts.length >= 3)).toBe(true);
    },
  },
  {
    rule: 'LLM attempt: `chat {model}`, CLIENT, gen_ai.operation.name=chat, gen_ai.provider.name (openai|anthropic), gen_ai.request.model',
    check(s) {
      for (const { attempts } of llmSteps(s)) {
        for (const chat of attempts) {
          const model = attrs(chat)[GEN_AI.REQUEST_MODEL];
          expect(chat.name).toBe(`chat ${model}`);
          expect(chat.kind).toBe(SpanKind.CLIENT);
          expect(attrs(chat)[GEN_AI.OPERATION_NAME]).toBe('chat');
          expect(['openai', 'anthropic']).toContain(attrs(chat)[GEN_AI.PROVIDER_NAME]);
        }
      }
    },
  },
  {
    rule: 'LLM attempt: gen_ai.response.model, gen_ai.response.id, gen_ai.response.finish_reasons and all five usage attributes on answered attempts; error.type on failed ones',
    check(s) {
      const chats = llmSteps(s).flatMap(({ attempts }) => attempts);
      expect(chats.some(failed)).toBe(true);
      for (const chat of chats) {
        const a = attrs(chat);
        if (failed(chat)) {
          expect(a[ERROR_TYPE]).toMatch(/^(rate_limit|overloaded|provider_error)$/);
          expect(a[GEN_AI.USAGE_INPUT_TOKENS]).toBeUndefined();
          continue;
        }
        expect(a[ERROR_TYPE]).toBeUndefined();
        expect(a[GEN_AI.RESPONSE_MODEL]).toBe(a[GEN_AI.REQUEST_MODEL]);
        expect(a[GEN_AI.RESPONSE_ID]).toEqual(expect.any(String));
        expect(a[GEN_AI.RESPONSE_FINISH_REASONS]).toEqual([expect.any(String)]);
        for (const key of [GEN_AI.USAGE_INPUT_TOKENS, GEN_AI.USAGE_OUTPUT_TOKENS, GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS, GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]) {
          expect(a[key], key).toEqual(expect.any(Number));
        }
        expect(a[GEN_AI.USAGE_INPUT_TOKENS] as number).toBeGreaterThan(0);
      }
    },
  },
  {
    rule: 'LLM attempt: gen_ai.usage.input_tokens includes cached tokens (Anthropic reports them separately; they are added)',
    check(s) {
      const chats = llmSteps(s).flatMap(({ attempts }) => attempts).filter((chat) => !failed(chat));
      const sum = (model: string, key: string) => chats.filter((c) => attrs(c)[GEN_AI.REQUEST_MODEL] === model).reduce((n, c) => n + (attrs(c)[key] as number), 0);
      for (const [model, stats] of Object.entries(s.provider.models)) {
        // The simulator's totals count input with cache reads and writes, as the convention does.
        expect(sum(model, GEN_AI.USAGE_INPUT_TOKENS), model).toBe(stats.usage.inputTokens);
        expect(sum(model, GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS), model).toBe(stats.usage.cacheReadTokens);
        expect(sum(model, GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS), model).toBe(stats.usage.cacheWriteTokens);
      }
      const read = chats.find((c) => (attrs(c)[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] as number) > 0 && attrs(c)[GEN_AI.PROVIDER_NAME] === 'anthropic')!;
      const written = chats.find((c) => (attrs(c)[GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS] as number) > 0)!;
      expect(read).toBeDefined();
      expect(written).toBeDefined();
      for (const chat of [read, written]) {
        const a = attrs(chat);
        expect(a[GEN_AI.USAGE_INPUT_TOKENS] as number).toBeGreaterThan((a[GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS] as number) + (a[GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS] as number));
      }
    },
  },
  {
    rule: 'LLM attempt: flowtrace.attempt (1-based, across the step), flowtrace.retry.reason = the previous attempt\'s failure, flowtrace.fallback.from on attempts of a fallback target',
    check(s) {
      let fallbacks = 0;
      for (const { attempts } of llmSteps(s)) {
        attempts.forEach((chat, i) => {
          const a = attrs(chat);
          expect(a[FLOWTRACE.ATTEMPT]).toBe(i + 1);
          const previous = attempts[i - 1];
          expect(a[FLOWTRACE.RETRY_REASON]).toBe(previous ? attrs(previous)[ERROR_TYPE] : undefined);
          const firstOfTarget = attempts.findIndex((c) => label(c) === label(chat));
          const from = firstOfTarget > 0 ? label(attempts[firstOfTarget - 1]!) : undefined;
          expect(a[FLOWTRACE.FALLBACK_FROM]).toBe(from);
          if (from) fallbacks++;
        });
      }
      expect(fallbacks).toBeGreaterThanOrEqual(2);
    },
  },
  {
    rule: 'Tool call: `execute_tool {tool name}`, INTERNAL, gen_ai.tool.name, gen_ai.tool.call.id, gen_ai.tool.type, child of a tool step',
    check(s) {
      let seen = 0;
      for (const run of allRuns(s)) {
        for (const tool of run.spans.filter(isTool)) {
          seen++;
          const step = run.spans.find((span) => spanIdOf(span) === parentIdOf(tool))!;
          const node = run.spec.nodes.find((n) => n.id === attrs(step)[FLOWTRACE.NODE_ID])!;
          expect(node.type).toBe('tool');
          const toolName = (node.config as { tool?: string }).tool;
          expect(tool.name).toBe(`execute_tool ${toolName}`);
          expect(tool.kind).toBe(SpanKind.INTERNAL);
          expect(attrs(tool)).toMatchObject({ [GEN_AI.OPERATION_NAME]: 'execute_tool', [GEN_AI.TOOL_NAME]: toolName, [GEN_AI.TOOL_TYPE]: 'function' });
          expect(attrs(tool)[GEN_AI.TOOL_CALL_ID]).toEqual(expect.any(String));
        }
      }
      expect(seen).toBeGreaterThan(0);
    },
  },
  {
    rule: 'Cache hit: the step carries flowtrace.cache.hit=true and an event flowtrace.cache.hit (key hash, saved tokens, saved cost); no provider call span',
    check(s) {
      const run = s.runs.cached;
      const hits = stepsOf(run).filter((span) => attrs(span)[FLOWTRACE.CACHE_HIT] === true);
      expect(hits.map((span) => attrs(span)[FLOWTRACE.NODE_ID]).sort()).toEqual(['deep', 'summarize']);
      for (const step of hits) {
        expect(childrenOf(run, step)).toEqual([]);
        const event = step.events.find((e) => e.name === FLOWTRACE_EVENT.CACHE_HIT)!;
        const original = s.runs.faulted.summary.steps.find((x) => x.nodeId === attrs(step)[FLOWTRACE.NODE_ID])!;
        const answered = llmSteps(s).find(({ step: st }) => attrs(st)[FLOWTRACE.STEP_ID] === original.stepId)!.attempts.at(-1)!;
        expect(eventAttrs(event)[FLOWTRACE_EVENT_ATTR.KEY_HASH]).toMatch(/^[0-9a-f]{64}$/);
        expect(eventAttrs(event)[FLOWTRACE_EVENT_ATTR.SAVED_INPUT_TOKENS]).toBe(attrs(answered)[GEN_AI.USAGE_INPUT_TOKENS]);
        expect(eventAttrs(event)[FLOWTRACE_EVENT_ATTR.SAVED_OUTPUT_TOKENS]).toBe(attrs(answered)[GEN_AI.USAGE_OUTPUT_TOKENS]);
        expect(eventAttrs(event)[FLOWTRACE_EVENT_ATTR.SAVED_COST_USD]).toBe(attrs(answered)[FLOWTRACE.COST_USD]);
      }
      expect(run.spans.filter(isChat)).toEqual([]);
    },
  },
  {
    rule: 'Events: flowtrace.retry (attempt, delay, reason) on the step, before the retried attempt',
    check(s) {
      let seen = 0;
      for (const { step, attempts } of llmSteps(s)) {
        for (const event of step.events.filter((e) => e.name === FLOWTRACE_EVENT.RETRY)) {
          seen++;
          const a = eventAttrs(event);
          const next = attempts[(a[FLOWTRACE_EVENT_ATTR.ATTEMPT] as number) - 1]!;
          const previous = attempts[(a[FLOWTRACE_EVENT_ATTR.ATTEMPT] as number) - 2]!;
          expect(label(next)).toBe(label(previous));
          expect(a[FLOWTRACE_EVENT_ATTR.REASON]).toBe(attrs(previous)[ERROR_TYPE]);
          expect(a[FLOWTRACE_EVENT_ATTR.DELAY_MS]).toEqual(expect.any(Number));
          const at = event.time[0] * 1e9 + event.time[1];
          expect(at).toBeLessThanOrEqual(startNs(next));
        }
      }
      expect(seen).toBeGreaterThan(0);
    },
  },
  {
    rule: 'Events: flowtrace.fallback (from, to, reason) on the step when it moves to the next target',
    check(s) {
      let seen = 0;
      for (const { step, attempts } of llmSteps(s)) {
        const events = step.events.filter((e) => e.name === FLOWTRACE_EVENT.FALLBACK);
        const switches = attempts.slice(1).filter((chat, i) => label(chat) !== label(attempts[i]!));
        expect(events).toHaveLength(switches.length);
        events.forEach((event, i) => {
          seen++;
          const to = switches[i]!;
          const from = attempts[attempts.indexOf(to) - 1]!;
          expect(eventAttrs(event)).toEqual({
            [FLOWTRACE_EVENT_ATTR.FROM]: label(from),
            [FLOWTRACE_EVENT_ATTR.TO]: label(to),
            [FLOWTRACE_EVENT_ATTR.REASON]: attrs(from)[ERROR_TYPE],
          });
        });
      }
      expect(seen).toBeGreaterThanOrEqual(2);
    },
  },
  {
    rule: 'Events: flowtrace.budget (spent, limit) on the run when the soft budget is passed',
    check(s) {
      const events = runSpanOf(s.runs.faulted).events.filter((e) => e.name === FLOWTRACE_EVENT.BUDGET);
      expect(events).toHaveLength(1);
      const a = eventAttrs(events[0]!);
      expect(a[FLOWTRACE_EVENT_ATTR.LIMIT_USD]).toBe('0.000001');
      expect(Number(a[FLOWTRACE_EVENT_ATTR.SPENT_USD])).toBeGreaterThan(0.000001);
    },
  },
  {
    rule: 'Events: flowtrace.guardrail when a limit stops the run (run span ERROR, error.type = the reason)',
    check(s) {
      const run = runSpanOf(s.runs.limited);
      const events = run.events.filter((e) => e.name === FLOWTRACE_EVENT.GUARDRAIL);
      expect(events.map(eventAttrs)).toEqual([{ [FLOWTRACE_EVENT_ATTR.LIMIT]: 'max_tokens', [FLOWTRACE_EVENT_ATTR.REASON]: 'limit_exceeded' }]);
      expect(run.status.code).toBe(SpanStatusCode.ERROR);
      expect(attrs(run)[ERROR_TYPE]).toBe('limit_exceeded');
      for (const other of [s.runs.faulted, s.runs.cached]) expect(runSpanOf(other).events.some((e) => e.name === FLOWTRACE_EVENT.GUARDRAIL)).toBe(false);
    },
  },
  {
    rule: 'Content (gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions) only when capture is enabled',
    check(s) {
      for (const run of allRuns(s)) {
        const chats = run.spans.filter((span) => isChat(span) && !failed(span));
        for (const chat of chats) {
          for (const key of CONTENT_ATTRIBUTES) expect(attrs(chat)[key] !== undefined, `${key} on ${chat.name}`).toBe(run.contentCaptured);
        }
        if (!run.contentCaptured) expect(run.spans.every((span) => CONTENT_ATTRIBUTES.every((key) => attrs(span)[key] === undefined))).toBe(true);
      }
      const chat = s.runs.captured.spans.find((span) => isChat(span))!;
      expect(JSON.parse(attrs(chat)[GEN_AI.INPUT_MESSAGES] as string)).toMatchObject([{ role: 'user', parts: [{ type: 'text' }] }]);
    },
  },
  {
    rule: 'Structure: every span of a run is in the run\'s trace, carries flowtrace.run.id, and hangs under the run (chat and tool spans under a step)',
    check(s) {
      for (const run of allRuns(s)) {
        const root = runSpanOf(run);
        const ids = new Set(run.spans.map(spanIdOf));
        for (const span of run.spans) {
          expect(span.spanContext().traceId).toBe(root.spanContext().traceId);
          expect(attrs(span)[FLOWTRACE.RUN_ID]).toBe(run.summary.runId);
          if (span !== root) expect(ids.has(parentIdOf(span)!)).toBe(true);
          if (isChat(span) || isTool(span)) {
            const parent = run.spans.find((p) => spanIdOf(p) === parentIdOf(span))!;
            expect(isStep(parent)).toBe(true);
            expect(attrs(span)[FLOWTRACE.STEP_ID]).toBe(attrs(parent)[FLOWTRACE.STEP_ID]);
          }
        }
        expect(run.spans.every((span) => isRun(span) || isStep(span) || isChat(span) || isTool(span))).toBe(true);
      }
    },
  },
];

let scenario: Scenario;
let simulator: ProviderSimulator;
let plain: CapturedTelemetry;
let withContent: CapturedTelemetry;
let cacheDir: string;

beforeAll(async () => {
  simulator = new ProviderSimulator({
    faults: [
      { model: GPT_MINI, calls: [1], fault: 'rate_limit', retryAfterMs: 1 },
      { model: GPT_MINI, calls: [2], fault: 'unavailable' },
      { model: SONNET, calls: [1], fault: 'server_error' },
    ],
  });
  const address = await simulator.start();
  plain = captureTelemetry();
  withContent = captureTelemetry({ captureContent: true });
  cacheDir = await mkdtemp(join(tmpdir(), 'flowtrace-span-model-'));
  const cache = new FileResponseCache({ dir: cacheDir });
  // Anthropic prompt caching on, so Anthropic spans report cache writes and reads.
  const providers = createProviders(
    { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test', cacheSystemPrompt: true } },
    {},
  );
  const research = await fastDemoSpec(RESEARCH, (spec) => void (spec.budget = { hardUsd: 1, softUsd: 0.000001 }));
  const limited = await fastDemoSpec(RESEARCH, (spec) => void (spec.limits = { ...spec.limits, maxTokens: 20 }));
  const deep = { notes: `Long notes ${randomUUID()}. [[sim:tokens=700]]` };

  const capture = async (spec: WorkflowSpec, inputs: Record<string, unknown>, captured: CapturedTelemetry): Promise<CapturedRun> => {
    captured.reset();
    const runner = createLlmStepRunner({ providers, cache, telemetry: captured.telemetry });
    const summary = await runWorkflow(spec, { runner, telemetry: captured.telemetry, inputs });
    const spans = (await captured.spans()).filter((span) => attrs(span)[FLOWTRACE.RUN_ID] === summary.runId);
    return { spec, summary, spans, contentCaptured: captured === withContent };
  };
  // Retries, fallbacks (OpenAI → Anthropic and back), tool, router (deep), soft budget.
  const faulted = await capture(research, deep, plain);
  // The same inputs: both llm steps from the cache.
  const cached = await capture(research, deep, plain);
  const shallow = await capture(research, { notes: `Short notes ${randomUUID()}.` }, plain);
  const limitedRun = await capture(limited, { notes: `Short ${randomUUID()}.` }, plain);
  // Content capture on; the deep analysis' Anthropic system prompt is written to the prompt cache...
  const captured = await capture(research, { notes: `Other long notes ${randomUUID()}. [[sim:tokens=700]]` }, withContent);
  // ... and read from it here.
  const cacheRead = await capture(research, { notes: `More long notes ${randomUUID()}. [[sim:tokens=700]]` }, plain);

  plain.reset();
  await plain.telemetry.withRun({ workflowName: 'library', conversationId: 'conv-42' }, async () => {});
  const libraryRun = await plain.spans();
  scenario = {
    runs: { faulted, cached, shallow, limited: limitedRun, captured, cacheRead },
    provider: simulator.stats(),
    libraryRun,
  };
});

afterAll(async () => {
  await simulator?.stop();
  await plain?.telemetry.shutdown();
  await withContent?.telemetry.shutdown();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('the scenario', () => {
  it('has what the rules need: retries, fallbacks, a cache hit, both branches, a limit', () => {
    const { faulted, cached, shallow, limited } = scenario.runs;
    expect(shallow.summary.steps.find((s) => s.nodeId === 'decide')?.branch).toBe('shallow');
    expect(faulted.summary.status).toBe('succeeded');
    expect(faulted.summary.totals).toMatchObject({ retries: 1, fallbacks: 2 });
    expect(cached.summary.totals).toMatchObject({ cacheHits: 2, llmCalls: 0 });
    expect(limited.summary).toMatchObject({ status: 'failed', failureReason: 'limit_exceeded' });
  });
});

describe('DESIGN.md §4 span model', () => {
  it.each(RULES.map((r) => [r.rule, r] as const))('%s', (_rule, { check }) => check(scenario));
});
