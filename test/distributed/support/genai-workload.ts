// GenAI agent traces made with the OpenTelemetry JS SDK and exported over OTLP/HTTP protobuf
// (@opentelemetry/exporter-trace-otlp-proto), plus the totals the pipeline must end up with,
// computed here from what was emitted — independently of FlowTrace's processors.
import { writeFileSync } from 'node:fs';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { FLOWTRACE, GEN_AI } from '../../../core/semconv.ts';

/** The one model of the workload, priced through a price override file (USD per million tokens). */
export const TEST_PROVIDER = 'selfhosted';
export const TEST_MODEL = 'flowtrace-test-model';
const INPUT_PER_MTOK = '1.25';
const OUTPUT_PER_MTOK = '10';
/** The same prices in 10^-8 USD per token (1.25 USD / 10^6 tokens = 125 × 10^-8 USD per token). */
const INPUT_PER_TOKEN_E8 = 125n;
const OUTPUT_PER_TOKEN_E8 = 1_000n;

export function writePriceOverrides(file: string): void {
  writeFileSync(file, JSON.stringify({ models: [{ provider: TEST_PROVIDER, model: TEST_MODEL, input_per_mtok: INPUT_PER_MTOK, output_per_mtok: OUTPUT_PER_MTOK }] }));
}

export interface Expected {
  spans: number;
  llmCalls: number;
  runs: number;
  inputTokens: number;
  outputTokens: number;
  /** Exact decimal USD, no trailing zeros. */
  costUsd: string;
}

export interface Workload {
  /** service.name of every span and prefix of every run id: the key for counting this workload's rows. */
  label: string;
  spans: ReadableSpan[];
  expected: Expected;
}

function formatE8(value: bigint): string {
  const digits = value.toString().padStart(9, '0');
  return `${digits.slice(0, -8)}.${digits.slice(-8)}`.replace(/\.?0+$/, '') || '0';
}

/**
 * `runs` agent runs, each a workflow span with `callsPerRun` steps, each step with one chat
 * call carrying usage: 1 + 2 × callsPerRun spans per run, one trace per run.
 */
export function genAiWorkload(label: string, runs: number, callsPerRun: number): Workload {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': label }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('flowtrace-distributed-test');
  let inputTokens = 0;
  let outputTokens = 0;
  let costE8 = 0n;
  const start = Date.now();
  for (let r = 0; r < runs; r++) {
    const runId = `${label}-${r}`;
    const t0 = start + r;
    const run = tracer.startSpan('invoke_workflow demo', {
      startTime: t0,
      attributes: { [GEN_AI.OPERATION_NAME]: 'invoke_workflow', [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.WORKFLOW_ID]: 'demo' },
    });
    const runContext = trace.setSpan(context.active(), run);
    for (let c = 0; c < callsPerRun; c++) {
      const input = 1_000 + ((r * 7 + c * 13) % 5_000);
      const output = 50 + ((r * 11 + c * 3) % 700);
      inputTokens += input;
      outputTokens += output;
      costE8 += BigInt(input) * INPUT_PER_TOKEN_E8 + BigInt(output) * OUTPUT_PER_TOKEN_E8;
      const stepAttributes = { [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.STEP_ID]: `${runId}-s${c}`, [FLOWTRACE.NODE_ID]: `node-${c}`, [FLOWTRACE.NODE_TYPE]: 'llm' };
      const step = tracer.startSpan(`step node-${c}`, { startTime: t0 + c, attributes: stepAttributes }, runContext);
      const chat = tracer.startSpan(
        `chat ${TEST_MODEL}`,
        {
          kind: SpanKind.CLIENT,
          startTime: t0 + c,
          attributes: {
            ...stepAttributes,
            [GEN_AI.OPERATION_NAME]: 'chat',
            [GEN_AI.PROVIDER_NAME]: TEST_PROVIDER,
            [GEN_AI.REQUEST_MODEL]: TEST_MODEL,
            [GEN_AI.RESPONSE_MODEL]: TEST_MODEL,
            [GEN_AI.USAGE_INPUT_TOKENS]: input,
            [GEN_AI.USAGE_OUTPUT_TOKENS]: output,
            [FLOWTRACE.ATTEMPT]: 1,
          },
        },
        trace.setSpan(runContext, step),
      );
      chat.end(t0 + c + 1);
      step.end(t0 + c + 1);
    }
    run.end(t0 + callsPerRun + 1);
  }
  const spans = memory.getFinishedSpans();
  return {
    label,
    spans,
    expected: { spans: spans.length, llmCalls: runs * callsPerRun, runs, inputTokens, outputTokens, costUsd: formatE8(costE8) },
  };
}

/** Sends spans to an OTLP/HTTP endpoint in requests of `perRequest` spans, `intervalMs` apart; throws on a failed export. */
export async function exportSpans(endpoint: string, spans: ReadableSpan[], perRequest = 200, intervalMs = 0): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: 30_000 });
  try {
    for (let i = 0; i < spans.length; i += perRequest) {
      const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) => exporter.export(spans.slice(i, i + perRequest), resolve));
      if (result.code !== ExportResultCode.SUCCESS) throw new Error(`OTLP export failed: ${result.error?.message ?? 'unknown error'}`);
      if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    await exporter.shutdown();
  }
}
