// End to end through `flowtrace up` as users run it: the real OpenTelemetry JS exporters,
// the real CLI process, the embedded engine on disk, SQL through the ClickHouse HTTP
// interface and through `flowtrace sql`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOWTRACE, GEN_AI } from '../../core/semconv.ts';
import { REPO_ROOT } from '../support/real-components.ts';
import { startUp, tempHome, type RunningUp } from '../support/flowtrace-up.ts';

const execFileAsync = promisify(execFile);

// Published list prices (USD per million tokens) for gpt-4o, written here independently
// of the pricing data the product uses.
const GPT_4O = { input: 2.5, cachedInput: 1.25, output: 10 };
const USAGE = { input: 1000, cacheRead: 400, output: 200 };
const EXPECTED_CALL_COST = ((USAGE.input - USAGE.cacheRead) * GPT_4O.input + USAGE.cacheRead * GPT_4O.cachedInput + USAGE.output * GPT_4O.output) / 1e6;

/** One FlowTrace-shaped run: workflow span → step span → `chat gpt-4o` attempts with usage. */
function emitRun(tracer: Tracer, runId: string, llmCalls = 1): void {
  const run = tracer.startSpan('invoke_workflow triage', {
    kind: SpanKind.INTERNAL,
    attributes: { [GEN_AI.OPERATION_NAME]: 'invoke_workflow', [GEN_AI.WORKFLOW_NAME]: 'triage', [FLOWTRACE.RUN_ID]: runId },
  });
  const inRun = trace.setSpan(ROOT_CONTEXT, run);
  const stepId = `${runId}-s1`;
  const step = tracer.startSpan(
    'step classify',
    { attributes: { [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.STEP_ID]: stepId, [FLOWTRACE.NODE_ID]: 'classify', [FLOWTRACE.NODE_TYPE]: 'llm' } },
    inRun,
  );
  const inStep = trace.setSpan(inRun, step);
  for (let i = 0; i < llmCalls; i++) {
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROVIDER_NAME]: 'openai',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o',
          [GEN_AI.RESPONSE_MODEL]: 'gpt-4o-2024-08-06',
          [GEN_AI.USAGE_INPUT_TOKENS]: USAGE.input,
          [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: USAGE.cacheRead,
          [GEN_AI.USAGE_OUTPUT_TOKENS]: USAGE.output,
          [FLOWTRACE.RUN_ID]: runId,
          [FLOWTRACE.STEP_ID]: stepId,
          [FLOWTRACE.ATTEMPT]: i + 1,
        },
      },
      inStep,
    );
    chat.setStatus({ code: SpanStatusCode.OK });
    chat.end();
  }
  step.end();
  run.end();
}

function provider(exporter: SpanExporter): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'e2e-agent' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
}

/** An OTLP/protobuf request body for `runs` runs, as the OTel SDK serialises it. */
async function requestBody(runIds: string[], llmCallsPerRun = 1): Promise<Uint8Array> {
  const memory = new InMemorySpanExporter();
  const p = provider(memory);
  for (const runId of runIds) emitRun(p.getTracer('e2e'), runId, llmCallsPerRun);
  await p.forceFlush();
  return ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!;
}

async function flowtraceSql(home: string, query: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(REPO_ROOT, 'bin/flowtrace.js'), 'sql', query, '--data-dir', join(home, 'data'), '--format', 'json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, FLOWTRACE_CLICKHOUSE_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('flowtrace up (embedded pipeline, end to end)', () => {
  let home: string;
  let up: RunningUp;

  beforeAll(async () => {
    home = tempHome();
    up = await startUp(home);
  });
  afterAll(async () => {
    await up?.proc.stop();
  });

  it.each([
    ['OTLP/HTTP JSON (@opentelemetry/exporter-trace-otlp-http)', (url: string) => new OtlpHttpJsonExporter({ url })],
    ['OTLP/HTTP protobuf (@opentelemetry/exporter-trace-otlp-proto)', (url: string) => new OtlpProtoExporter({ url })],
  ])('stores spans sent by %s, priced and rolled up', async (_name, makeExporter) => {
    const runId = `run-${Math.random().toString(36).slice(2)}`;
    const p = provider(makeExporter(`${up.info.otlpHttp}/v1/traces`));
    emitRun(p.getTracer('e2e'), runId);
    await p.forceFlush();
    await p.shutdown();

    const traces = await up.sql<{ SpanName: string; ServiceName: string; SpanKind: string; input: string }>(
      `SELECT SpanName, ServiceName, SpanKind, SpanAttributes['gen_ai.usage.input_tokens'] AS input FROM otel_traces WHERE SpanAttributes['flowtrace.run.id'] = '${runId}' ORDER BY SpanName`,
    );
    expect(traces).toEqual([
      { SpanName: 'chat gpt-4o', ServiceName: 'e2e-agent', SpanKind: 'Client', input: '1000' },
      { SpanName: 'invoke_workflow triage', ServiceName: 'e2e-agent', SpanKind: 'Internal', input: '' },
      { SpanName: 'step classify', ServiceName: 'e2e-agent', SpanKind: 'Internal', input: '' },
    ]);
    const [call] = await up.sql<{ InputTokens: number; CacheReadTokens: number; OutputTokens: number; CostUsd: string; CostStatus: string; PriceRef: string }>(
      `SELECT InputTokens, CacheReadTokens, OutputTokens, toString(CostUsd) AS CostUsd, CostStatus, PriceRef FROM llm_calls WHERE RunId = '${runId}'`,
    );
    expect(call).toMatchObject({ InputTokens: 1000, CacheReadTokens: 400, OutputTokens: 200, CostStatus: 'priced' });
    expect(Number(call.CostUsd)).toBeCloseTo(EXPECTED_CALL_COST, 12);
    expect(call.PriceRef).toMatch(/gpt-4o/);
    const [run] = await up.sql<{ Status: string; LlmCalls: number; Steps: number; CostUsd: string; WorkflowName: string }>(
      `SELECT Status, LlmCalls, Steps, toString(CostUsd) AS CostUsd, WorkflowName FROM runs WHERE RunId = '${runId}'`,
    );
    expect(run).toMatchObject({ Status: 'succeeded', LlmCalls: 1, Steps: 1, WorkflowName: 'triage' });
    expect(Number(run.CostUsd)).toBeCloseTo(EXPECTED_CALL_COST, 12);
  });

  it('stores a retried request once: counts and cost sums unchanged', async () => {
    const runIds = ['dup-a', 'dup-b'];
    const body = await requestBody(runIds, 3);
    const totals = () =>
      up.sql<{ spans: number; calls: number; cost: string }>(
        `SELECT (SELECT count() FROM otel_traces FINAL WHERE SpanAttributes['flowtrace.run.id'] IN ('dup-a','dup-b')) AS spans,
                (SELECT count() FROM llm_calls WHERE RunId IN ('dup-a','dup-b')) AS calls,
                (SELECT toString(sum(CostUsd)) FROM runs WHERE RunId IN ('dup-a','dup-b')) AS cost`,
      );
    expect((await up.postTraces(body)).status).toBe(200);
    const first = await totals();
    expect(first[0]).toMatchObject({ spans: 10, calls: 6 });
    expect(Number(first[0].cost)).toBeCloseTo(6 * EXPECTED_CALL_COST, 12);
    // The client did not see the first answer and sends the same request again, twice.
    const again = await Promise.all([up.postTraces(body), up.postTraces(body)]);
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    expect(await totals()).toEqual(first);
    const [raw] = await up.sql<{ n: number }>(`SELECT count() AS n FROM otel_traces WHERE SpanAttributes['flowtrace.run.id'] IN ('dup-a','dup-b')`);
    expect(raw.n).toBe(10);
  });

  it('answers `flowtrace sql` through the running server and refuses writes', async () => {
    const ok = await flowtraceSql(home, "SELECT count() AS n FROM runs WHERE RunId = 'dup-a'");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.trim().split('\n')[0])).toEqual({ n: 1 });
    const refused = await flowtraceSql(home, 'DROP TABLE otel_traces');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/read-only|refus/i);
    const [still] = await up.sql<{ n: string }>("SELECT count() AS n FROM otel_traces WHERE SpanAttributes['flowtrace.run.id'] = 'dup-a'");
    expect(Number(still.n)).toBeGreaterThan(0);
  });

  it('loses no acknowledged span when killed with SIGKILL right after answering 200', async () => {
    const requests = await Promise.all(Array.from({ length: 24 }, (_, i) => requestBody([`crash-${i}`], 80)));
    const acknowledged: string[] = [];
    const inflight: Array<Promise<void>> = [];
    let killed = false;
    for (let i = 0; i < requests.length; i++) {
      inflight.push(
        up.postTraces(requests[i]).then(
          (res) => {
            if (res.status === 200) acknowledged.push(`crash-${i}`);
          },
          () => {}, // the connection died with the process: not acknowledged
        ),
      );
      if (i === 12) {
        // Kill as soon as the first request is acknowledged, with others still in flight.
        await Promise.race(inflight);
        await up.proc.kill();
        killed = true;
      }
    }
    await Promise.all(inflight);
    expect(killed).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(0);

    up = await startUp(home);
    const rows = await up.sql<{ run: string; spans: string }>(
      `SELECT SpanAttributes['flowtrace.run.id'] AS run, count() AS spans FROM otel_traces FINAL
       WHERE run LIKE 'crash-%' GROUP BY run`,
    );
    const stored = new Map(rows.map((r) => [r.run, Number(r.spans)]));
    for (const run of acknowledged) expect(stored.get(run), run).toBe(82);
  });

  it('commits what it accepted and exits cleanly on SIGTERM', async () => {
    const body = await requestBody(['term-a'], 5);
    expect((await up.postTraces(body)).status).toBe(200);
    const exit = await up.proc.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(join(home, 'server.json'))).toBe(false);

    // With no server running, `flowtrace sql` opens the data folder itself.
    const direct = await flowtraceSql(home, "SELECT LlmCalls FROM runs WHERE RunId = 'term-a'");
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout.trim())).toEqual({ LlmCalls: 5 });
    up = await startUp(home);
  });
});
