// Test support shared by the OTLP decoder and receiver tests: real spans from the
// OpenTelemetry SDK, and the SpanRecord each should become, computed from the SDK's own
// view of the span (not from the decoder).
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type AttributeValue, type Attributes as OtelAttributes, type HrTime, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Attributes, SpanKindName, SpanRecord, StatusCodeName } from '../../core/span.ts';

export const TEST_RESOURCE = { 'service.name': 'checkout-agent', 'deployment.environment': 'test', 'host.cpus': 2 };

const KIND_NAMES: Record<SpanKind, SpanKindName> = {
  [SpanKind.INTERNAL]: 'Internal',
  [SpanKind.SERVER]: 'Server',
  [SpanKind.CLIENT]: 'Client',
  [SpanKind.PRODUCER]: 'Producer',
  [SpanKind.CONSUMER]: 'Consumer',
};
const STATUS_NAMES: Record<SpanStatusCode, StatusCodeName> = {
  [SpanStatusCode.UNSET]: 'Unset',
  [SpanStatusCode.OK]: 'Ok',
  [SpanStatusCode.ERROR]: 'Error',
};

export function tracerProvider(...processors: SpanProcessor[]): BasicTracerProvider {
  return new BasicTracerProvider({ resource: resourceFromAttributes(TEST_RESOURCE), spanProcessors: processors });
}

/** A small agent trace with every span feature OTLP carries: kinds, attribute types, events, links, statuses. */
export function emitAgentTrace(tracer: Tracer): void {
  const run = tracer.startSpan('invoke_workflow demo', {
    kind: SpanKind.SERVER,
    startTime: [1_700_000_000, 123_456_789],
    attributes: { 'gen_ai.operation.name': 'invoke_workflow', 'flowtrace.run.id': 'run-1' },
  });
  const runContext = run.spanContext();
  const parent = trace.setSpan(ROOT_CONTEXT, run);
  const chat = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 200_000_000],
      links: [{ context: runContext, attributes: { 'link.reason': 'retry-of' } }],
      attributes: {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'flowtrace.scores': [1, 2.5],
        'flowtrace.note': 'a <b> & "c"',
      },
    },
    parent,
  );
  chat.addEvent('flowtrace.retry', { 'flowtrace.attempt': 2, 'flowtrace.reason': 'rate_limit' }, [1_700_000_000, 300_000_000]);
  chat.setStatus({ code: SpanStatusCode.ERROR, message: 'provider returned 429' });
  chat.end([1_700_000_000, 900_000_001]);
  const tool = tracer.startSpan('execute_tool search', { kind: SpanKind.INTERNAL, startTime: [1_700_000_001, 0] }, parent);
  tool.setStatus({ code: SpanStatusCode.OK });
  tool.end([1_700_000_001, 500]);
  run.end([1_700_000_002, 0]);
}

/** Runs `emit` on a provider whose spans are also kept in memory; returns them once flushed. */
export async function recordSpans(emit: (tracer: Tracer) => void, ...processors: SpanProcessor[]): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = tracerProvider(new SimpleSpanProcessor(memory), ...processors);
  emit(provider.getTracer('flowtrace-test', '1.2.3'));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function nanos([seconds, nanoseconds]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}

/** How the collector's ClickHouse exporter writes an SDK attribute value (pdata AsString). */
function stored(value: AttributeValue | undefined): string {
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function storedAttributes(attributes: OtelAttributes): Attributes {
  return Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, stored(value)]));
}

/** The SpanRecord `span` should decode to. */
export function expectedRecord(span: ReadableSpan, projectId: string): SpanRecord {
  const context = span.spanContext();
  const resourceAttributes = storedAttributes(span.resource.attributes);
  return {
    projectId,
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: context.traceState?.serialize() ?? '',
    name: span.name,
    kind: KIND_NAMES[span.kind],
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    serviceName: resourceAttributes['service.name'] ?? '',
    resourceAttributes,
    scopeName: span.instrumentationScope.name,
    scopeVersion: span.instrumentationScope.version ?? '',
    attributes: storedAttributes(span.attributes),
    statusCode: STATUS_NAMES[span.status.code],
    statusMessage: span.status.message ?? '',
    events: span.events.map((event) => ({ timeUnixNano: nanos(event.time), name: event.name, attributes: storedAttributes(event.attributes ?? {}) })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: storedAttributes(link.attributes ?? {}),
    })),
  };
}
