// GenAI span batches for the ingest benchmarks: agent runs of workflow, step, chat and
// tool spans (one retried chat attempt each), serialised to OTLP/protobuf by the OTel JS SDK.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FLOWTRACE, GEN_AI } from '../../core/semconv.ts';

export const SPANS_PER_REQUEST = 512;

const MODELS: Array<[provider: string, model: string]> = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['anthropic', 'claude-sonnet-4-5'],
  ['anthropic', 'claude-3-5-haiku-latest'],
];

/** One agent run of 8 spans: workflow → 3 steps (2 llm, 1 tool) with a retried attempt. */
function emitRun(tracer: Tracer, n: number): void {
  const runId = `bench-${n}-${Math.random().toString(36).slice(2, 10)}`;
  const run = tracer.startSpan('invoke_workflow research', {
    attributes: { [GEN_AI.OPERATION_NAME]: 'invoke_workflow', [GEN_AI.WORKFLOW_NAME]: 'research', [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.WORKFLOW_ID]: 'wf-research' },
  });
  const inRun = trace.setSpan(ROOT_CONTEXT, run);
  for (const [s, nodeId] of ['summarize', 'fetch', 'decide'].entries()) {
    const stepId = `${runId}-${s}`;
    const step = tracer.startSpan(`step ${nodeId}`, {
      attributes: { [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.STEP_ID]: stepId, [FLOWTRACE.NODE_ID]: nodeId, [FLOWTRACE.NODE_TYPE]: nodeId === 'fetch' ? 'tool' : 'llm', [FLOWTRACE.SEMANTIC_LABEL]: nodeId },
    }, inRun);
    const inStep = trace.setSpan(inRun, step);
    if (nodeId === 'fetch') {
      const tool = tracer.startSpan('execute_tool http_get', { attributes: { [GEN_AI.OPERATION_NAME]: 'execute_tool', [GEN_AI.TOOL_NAME]: 'http_get', [GEN_AI.TOOL_TYPE]: 'function', [FLOWTRACE.RUN_ID]: runId, [FLOWTRACE.STEP_ID]: stepId } }, inStep);
      tool.end();
    } else {
      const attempts = nodeId === 'summarize' ? 2 : 1;
      for (let a = 1; a <= attempts; a++) {
        const [provider, model] = MODELS[(n + s + a) % MODELS.length];
        const failed = a < attempts;
        const chat = tracer.startSpan(`chat ${model}`, {
          kind: SpanKind.CLIENT,
          attributes: {
            [GEN_AI.OPERATION_NAME]: 'chat',
            [GEN_AI.PROVIDER_NAME]: provider,
            [GEN_AI.REQUEST_MODEL]: model,
            [GEN_AI.RESPONSE_MODEL]: model,
            [GEN_AI.RESPONSE_ID]: `resp-${runId}-${s}-${a}`,
            [GEN_AI.RESPONSE_FINISH_REASONS]: failed ? [] : ['stop'],
            [GEN_AI.USAGE_INPUT_TOKENS]: failed ? 0 : 1200 + (n % 500),
            [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: failed ? 0 : 512,
            [GEN_AI.USAGE_OUTPUT_TOKENS]: failed ? 0 : 180 + (n % 90),
            [GEN_AI.REQUEST_TEMPERATURE]: 0.2,
            [GEN_AI.REQUEST_MAX_TOKENS]: 1024,
            'server.address': provider === 'openai' ? 'api.openai.com' : 'api.anthropic.com',
            'server.port': 443,
            [FLOWTRACE.RUN_ID]: runId,
            [FLOWTRACE.STEP_ID]: stepId,
            [FLOWTRACE.ATTEMPT]: a,
            ...(failed ? { 'error.type': 'rate_limit', 'http.response.status_code': 429 } : {}),
          },
        }, inStep);
        if (failed) {
          chat.setStatus({ code: SpanStatusCode.ERROR, message: '429 Rate limit reached' });
          step.addEvent('flowtrace.retry', { 'flowtrace.attempt': a, 'flowtrace.retry.delay_ms': 250, 'flowtrace.reason': 'rate_limit' });
        }
        chat.end();
      }
    }
    step.end();
  }
  run.end();
}

/** `count` distinct OTLP/protobuf requests of SPANS_PER_REQUEST spans each, serialised by the OTel SDK. */
export async function makeRequests(count: number, offset: number): Promise<Uint8Array[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent', 'service.version': '1.4.2', 'deployment.environment': 'bench' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('bench');
  const bodies: Uint8Array[] = [];
  for (let r = 0; r < count; r++) {
    memory.reset();
    for (let i = 0; i < SPANS_PER_REQUEST / 8; i++) emitRun(tracer, offset + r * 64 + i);
    bodies.push(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
  }
  return bodies;
}
