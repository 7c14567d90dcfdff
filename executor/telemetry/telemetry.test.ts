import { setTimeout as delay } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_TYPE, FLOWTRACE, GEN_AI, HTTP_RESPONSE_STATUS_CODE } from '../../core/semconv.ts';
import { priceUsage } from '../../processors/cost/index.ts';
import { startOtlpSink } from '../../test/support/otlp-sink.ts';
import { openAiUsage } from '../providers/index.ts';
import { ProviderSimulator } from '../simulator/index.ts';
import { captureContentFromEnv, tracesUrl } from './config.ts';
import { FlowTraceRunError, createTelemetry, currentSpanHandle, trackLlmCall, withStep, withToolCall } from './index.ts';
import { captureTelemetry, one, parentIdOf, spanIdOf } from './test-support.ts';

const usage = { input: 1200, output: 300, cacheRead: 1000, cacheWrite: 0, reasoning: 100 };

describe('run / step / tool / llm spans', () => {
  it('nests withRun → withStep → trackLlmCall and withToolCall, every span carrying the run id', async () => {
    const { telemetry, spans } = captureTelemetry();
    const result = await telemetry.withRun(
      { workflowName: 'triage', workflowId: 'wf-1', workflowVersion: '3', conversationId: 'conv-9' },
      async (run) => {
        await withStep({ nodeId: 'classify', nodeType: 'llm', semanticLabel: 'intent' }, async () => {
          await delay(1); // context must survive real async hops
          await trackLlmCall(
            { provider: 'openai', model: 'gpt-4o-mini' },
            async () => ({ id: 'chatcmpl-1', text: 'ok' }),
            (r) => ({ usage, responseId: r.id, responseModel: 'gpt-4o-mini-2024-07-18', finishReasons: ['stop'] }),
          );
        });
        await withStep({ nodeId: 'lookup', nodeType: 'tool', stepId: 'step-lookup' }, () =>
          withToolCall({ toolName: 'search', toolType: 'function', callId: 'call-1' }, async () => 'found'),
        );
        return run.runId;
      },
    );

    const all = await spans();
    expect(all).toHaveLength(5);
    const run = one(all, 'invoke_workflow triage');
    const classify = one(all, 'step classify');
    const chat = one(all, 'chat gpt-4o-mini');
    const lookup = one(all, 'step lookup');
    const tool = one(all, 'execute_tool search');

    expect(run.kind).toBe(SpanKind.INTERNAL);
    expect(parentIdOf(run)).toBeUndefined();
    expect(run.attributes).toMatchObject({
      [GEN_AI.OPERATION_NAME]: 'invoke_workflow',
      [GEN_AI.WORKFLOW_NAME]: 'triage',
      [FLOWTRACE.RUN_ID]: result,
      [FLOWTRACE.WORKFLOW_ID]: 'wf-1',
      [FLOWTRACE.WORKFLOW_VERSION]: '3',
      [GEN_AI.CONVERSATION_ID]: 'conv-9',
    });
    expect(parentIdOf(classify)).toBe(spanIdOf(run));
    expect(parentIdOf(lookup)).toBe(spanIdOf(run));
    expect(parentIdOf(chat)).toBe(spanIdOf(classify));
    expect(parentIdOf(tool)).toBe(spanIdOf(lookup));
    for (const span of all) {
      expect(span.attributes[FLOWTRACE.RUN_ID], span.name).toBe(result);
      expect(span.spanContext().traceId).toBe(run.spanContext().traceId);
    }
    expect(classify.attributes).toMatchObject({ [FLOWTRACE.NODE_ID]: 'classify', [FLOWTRACE.NODE_TYPE]: 'llm', [FLOWTRACE.SEMANTIC_LABEL]: 'intent' });
    expect(chat.attributes[FLOWTRACE.STEP_ID]).toBe(classify.attributes[FLOWTRACE.STEP_ID]);
    // Attempts inherit their step's label, so cost by semantic label adds up over llm_calls.
    expect(chat.attributes[FLOWTRACE.SEMANTIC_LABEL]).toBe('intent');
    // Spans inside a step carry its node and the run's workflow, for live filters and per-node views.
    expect(chat.attributes).toMatchObject({ [FLOWTRACE.NODE_ID]: 'classify', [FLOWTRACE.WORKFLOW_ID]: 'wf-1' });
    expect(tool.attributes).toMatchObject({ [FLOWTRACE.NODE_ID]: 'lookup', [FLOWTRACE.WORKFLOW_ID]: 'wf-1' });
    expect(tool.attributes[FLOWTRACE.NODE_TYPE]).toBeUndefined();
    expect(lookup.attributes[FLOWTRACE.SEMANTIC_LABEL]).toBeUndefined();
    expect(lookup.attributes[FLOWTRACE.STEP_ID]).toBe('step-lookup');
    expect(tool.attributes).toMatchObject({
      [FLOWTRACE.STEP_ID]: 'step-lookup',
      [GEN_AI.OPERATION_NAME]: 'execute_tool',
      [GEN_AI.TOOL_NAME]: 'search',
      [GEN_AI.TOOL_TYPE]: 'function',
      [GEN_AI.TOOL_CALL_ID]: 'call-1',
    });
    expect(tool.kind).toBe(SpanKind.INTERNAL);

    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.attributes).toMatchObject({
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.PROVIDER_NAME]: 'openai',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [GEN_AI.RESPONSE_ID]: 'chatcmpl-1',
      [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
      [GEN_AI.USAGE_INPUT_TOKENS]: 1200,
      [GEN_AI.USAGE_OUTPUT_TOKENS]: 300,
      [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: 1000,
      [GEN_AI.USAGE_CACHE_CREATION_INPUT_TOKENS]: 0,
      [GEN_AI.USAGE_REASONING_OUTPUT_TOKENS]: 100,
    });
    const price = priceUsage('openai', 'gpt-4o-mini-2024-07-18', usage, new Date());
    expect(price.usd).not.toBeNull();
    expect(chat.attributes[FLOWTRACE.COST_USD]).toBe(price.usd);
  });

  it('keeps concurrent runs apart', async () => {
    const { telemetry, spans } = captureTelemetry();
    const runIds = await Promise.all(
      ['a', 'b', 'c'].map((name, i) =>
        telemetry.withRun({ workflowName: name }, async (run) => {
          for (let s = 0; s < 3; s++) {
            await withStep({ nodeId: `${name}-${s}`, nodeType: 'router' }, async () => {
              await delay((i * 7 + s * 3) % 5);
              expect(currentSpanHandle()?.runId).toBe(run.runId);
            });
          }
          return run.runId;
        }),
      ),
    );
    const all = await spans();
    expect(new Set(runIds).size).toBe(3);
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const steps = all.filter((s) => s.name.startsWith(`step ${name}-`));
      expect(steps).toHaveLength(3);
      for (const step of steps) expect(step.attributes[FLOWTRACE.RUN_ID]).toBe(runIds[i]);
    }
  });

  it('stamps run and step ids on spans other code starts inside a step', async () => {
    const { telemetry, spans } = captureTelemetry();
    await telemetry.withRun({ workflowName: 'w', runId: 'run-7' }, () =>
      withStep({ nodeId: 'n', nodeType: 'llm', stepId: 'step-7' }, async () => {
        telemetry.tracer.startSpan('custom work').end();
      }),
    );
    const custom = one(await spans(), 'custom work');
    expect(custom.attributes).toMatchObject({ [FLOWTRACE.RUN_ID]: 'run-7', [FLOWTRACE.STEP_ID]: 'step-7' });
  });
});

describe('failures', () => {
  it('marks the run with the error reason it carries and rethrows', async () => {
    const { telemetry, spans } = captureTelemetry();
    const error = new FlowTraceRunError('budget_exceeded', 'run spent $0.51 of a $0.50 budget');
    await expect(
      telemetry.withRun({ workflowName: 'w' }, () => withStep({ nodeId: 'n', nodeType: 'llm' }, async () => Promise.reject(error))),
    ).rejects.toBe(error);
    const all = await spans();
    for (const name of ['invoke_workflow w', 'step n']) {
      const span = one(all, name);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: error.message });
      expect(span.attributes[ERROR_TYPE]).toBe('budget_exceeded');
      expect(span.events.map((e) => e.name)).toContain('exception');
    }
  });

  it('defaults to tool_error for tools, cancelled for aborts, unknown otherwise', async () => {
    const { telemetry, spans } = captureTelemetry();
    await expect(
      telemetry.withToolCall({ toolName: 'fetch' }, async () => {
        throw new Error('HTTP 500 from tool');
      }),
    ).rejects.toThrow('HTTP 500');
    await expect(telemetry.withStep({ nodeId: 'x', nodeType: 'router' }, () => Promise.reject(new Error('bad branch')))).rejects.toThrow();
    const controller = new AbortController();
    controller.abort();
    await expect(telemetry.withRun({ workflowName: 'aborted' }, () => Promise.reject(controller.signal.reason))).rejects.toBeTruthy();
    const all = await spans();
    expect(one(all, 'execute_tool fetch').attributes[ERROR_TYPE]).toBe('tool_error');
    expect(one(all, 'step x').attributes[ERROR_TYPE]).toBe('unknown');
    expect(one(all, 'invoke_workflow aborted').attributes[ERROR_TYPE]).toBe('cancelled');
  });

  it('keeps the reason given to fail() when the body then throws', async () => {
    const { telemetry, spans } = captureTelemetry();
    await expect(
      telemetry.withStep({ nodeId: 'guard', nodeType: 'router' }, async (step) => {
        step.fail(new Error('12 nodes > limit 10'), 'limit_exceeded');
        throw new Error('stopped');
      }),
    ).rejects.toThrow('stopped');
    const span = one(await spans(), 'step guard');
    expect(span.attributes[ERROR_TYPE]).toBe('limit_exceeded');
    expect(span.status.message).toBe('12 nodes > limit 10');
  });

  it('records a failed llm call with its reason', async () => {
    const { telemetry, spans } = captureTelemetry();
    const err = Object.assign(new Error('429 slow down'), { reason: 'rate_limit' });
    await expect(
      telemetry.trackLlmCall({ provider: 'anthropic', model: 'claude-x' }, () => Promise.reject(err), () => ({ usage })),
    ).rejects.toBe(err);
    const span = one(await spans(), 'chat claude-x');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes[ERROR_TYPE]).toBe('rate_limit');
    expect(span.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBeUndefined();
  });

  it('classifies an agent\'s own SDK errors like the executor does', async () => {
    const simulator = new ProviderSimulator({ faults: [{ model: 'gpt-4o', calls: [2], fault: 'rate_limit', retryAfterMs: 2000 }] });
    const { openaiBaseUrl } = await simulator.start();
    try {
      const openai = new OpenAI({ apiKey: 'sk-test', baseURL: openaiBaseUrl, maxRetries: 0 });
      const { telemetry, spans } = captureTelemetry();
      const ask = () =>
        telemetry.trackLlmCall(
          { provider: 'openai', model: 'gpt-4o' },
          () => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: '[[sim:answer=fine]]' }] }),
          (r) => ({ usage: openAiUsage(r.usage), responseId: r.id, responseModel: r.model, finishReasons: r.choices.map((c) => c.finish_reason) }),
        );
      expect((await ask()).choices[0].message.content).toBe('fine');
      await expect(ask()).rejects.toBeInstanceOf(OpenAI.RateLimitError);
      const [ok, limited] = await spans();
      expect(ok.attributes[GEN_AI.USAGE_INPUT_TOKENS]).toBe(Math.ceil('[[sim:answer=fine]]'.length / 4));
      expect(ok.attributes[GEN_AI.RESPONSE_ID]).toMatch(/^chatcmpl-/);
      expect(limited.attributes).toMatchObject({ [ERROR_TYPE]: 'rate_limit', [HTTP_RESPONSE_STATUS_CODE]: 429 });
    } finally {
      await simulator.stop();
    }
  });

  it('rejects unnamed runs, steps and tools with a precise message', () => {
    const { telemetry } = captureTelemetry();
    expect(() => telemetry.withRun({ workflowName: '' }, async () => 1)).toThrow('withRun workflowName: expected a non-empty string, got ""');
    expect(() => telemetry.withStep({ nodeId: ' ', nodeType: 'llm' }, async () => 1)).toThrow('withStep nodeId');
    expect(() => telemetry.withToolCall({ toolName: undefined as unknown as string }, async () => 1)).toThrow('withToolCall toolName');
  });
});

describe('content capture', () => {
  const call = (telemetry: ReturnType<typeof captureTelemetry>['telemetry']) =>
    telemetry.trackLlmCall(
      { provider: 'openai', model: 'gpt-4o', input: { system: 'Be terse.', prompt: 'secret question' } },
      async () => 'secret answer',
      (text) => ({ usage, outputText: text, finishReasons: ['stop'] }),
    );

  it('records no prompt or completion by default', async () => {
    const captured = captureTelemetry();
    await call(captured.telemetry);
    const span = one(await captured.spans(), 'chat gpt-4o');
    expect(JSON.stringify(span.attributes)).not.toContain('secret');
    expect(span.attributes[GEN_AI.INPUT_MESSAGES]).toBeUndefined();
  });

  it('records semconv messages when enabled', async () => {
    const captured = captureTelemetry({ captureContent: true });
    await call(captured.telemetry);
    const span = one(await captured.spans(), 'chat gpt-4o');
    expect(JSON.parse(span.attributes[GEN_AI.INPUT_MESSAGES] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'secret question' }] },
    ]);
    expect(JSON.parse(span.attributes[GEN_AI.SYSTEM_INSTRUCTIONS] as string)).toEqual([{ type: 'text', content: 'Be terse.' }]);
    expect(JSON.parse(span.attributes[GEN_AI.OUTPUT_MESSAGES] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'secret answer' }], finish_reason: 'stop' },
    ]);
  });

  it('reads the switch from the environment', () => {
    expect(captureContentFromEnv({})).toBe(false);
    expect(captureContentFromEnv({ FLOWTRACE_CAPTURE_CONTENT: 'true' })).toBe(true);
    expect(captureContentFromEnv({ FLOWTRACE_CAPTURE_CONTENT: 'false' })).toBe(false);
    expect(captureContentFromEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'SPAN_ONLY' })).toBe(true);
    expect(captureContentFromEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'NO_CONTENT' })).toBe(false);
  });
});

describe('export', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('resolves the traces URL from options, then OTEL_* variables, then the default', () => {
    expect(tracesUrl('http://collector:4318/', {})).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1' })).toBeUndefined();
    expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:1/t' })).toBeUndefined();
    expect(tracesUrl(undefined, {})).toBe('http://127.0.0.1:4318/v1/traces');
    expect(() => tracesUrl('collector:4318', {})).toThrow('telemetry endpoint: expected http(s)');
    expect(() => tracesUrl('not a url', {})).toThrow('telemetry endpoint: not a URL: "not a url"');
  });

  it('sends OTLP protobuf to the endpoint and flushes on shutdown', async () => {
    const sink = await startOtlpSink();
    try {
      process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=test';
      const telemetry = createTelemetry({ endpoint: sink.url, serviceName: 'export-check' });
      await telemetry.withRun({ workflowName: 'exported-workflow' }, async () => undefined);
      await telemetry.shutdown();
      expect(sink.received).toHaveLength(1);
      expect(sink.received[0].path).toBe('/v1/traces');
      expect(sink.received[0].contentType).toBe('application/x-protobuf');
      const body = sink.received[0].body.toString('latin1');
      for (const text of ['invoke_workflow exported-workflow', 'export-check', 'deployment.environment.name']) expect(body).toContain(text);
    } finally {
      await sink.close();
    }
  });
});
