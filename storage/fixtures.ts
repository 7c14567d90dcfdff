// Enriched spans for the storage tests: a realistic LLM attempt span whose fields the
// tests override. Not used by production code.
import type { EnrichedSpan } from '../core/span.ts';

let sequence = 0;

/** Nanoseconds since the epoch for an ISO time plus extra nanoseconds (exact, no float). */
export function nanos(iso: string, extraNs = 0n): bigint {
  return BigInt(Date.parse(iso)) * 1_000_000n + extraNs;
}

export function makeSpan(overrides: Partial<EnrichedSpan> = {}): EnrichedSpan {
  sequence++;
  const id = sequence.toString(16).padStart(16, '0');
  const start = nanos('2026-11-21T05:44:00.123Z', 456_789n + BigInt(sequence));
  return {
    projectId: 'default',
    traceId: `${'a'.repeat(16)}${id}`,
    spanId: id,
    parentSpanId: 'b'.repeat(16),
    traceState: '',
    name: 'chat gpt-4o-mini',
    kind: 'Client',
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_234_567_891n,
    serviceName: 'support-agent',
    resourceAttributes: { 'service.name': 'support-agent', 'telemetry.sdk.language': 'nodejs' },
    scopeName: 'flowtrace.executor',
    scopeVersion: '0.1.0',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': '1200',
      'gen_ai.usage.output_tokens': '300',
      'flowtrace.run.id': 'run-1',
      'flowtrace.step.id': 'step-1',
      'flowtrace.attempt': '1',
    },
    statusCode: 'Ok',
    statusMessage: '',
    events: [],
    links: [],
    genai: {
      dialect: 'genai',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      usage: { input: 1200, output: 300, cacheRead: 200, cacheWrite: 0, reasoning: 0 },
      isInference: true,
      finishReasons: ['stop'],
      errorType: '',
    },
    run: {
      runId: 'run-1',
      stepId: 'step-1',
      nodeId: 'answer',
      nodeType: 'llm',
      workflowId: 'support',
      workflowVersion: '3',
      semanticLabel: 'answer',
      attempt: 1,
      fallbackFrom: '',
      cacheHit: false,
      role: 'llm',
    },
    cost: {
      usd: '0.000360000000',
      status: 'priced',
      priceRef: 'genai-prices:openai/gpt-4o-mini@2024-07-18',
      reason: '',
      savedUsd: null,
    },
    ...overrides,
  };
}
