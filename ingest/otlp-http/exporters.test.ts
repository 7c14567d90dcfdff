// The receiver against the real OpenTelemetry JS exporters: spans recorded by the SDK's
// BasicTracerProvider and sent by exporter-trace-otlp-http (JSON) and -proto (protobuf),
// plain and gzip, must arrive as the records the SDK's own view of them describes.
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { BackpressureError } from '../../core/errors.ts';
import type { SpanRecord } from '../../core/span.ts';
import { emitAgentTrace, expectedRecord, recordSpans } from '../otlp/test-support.ts';
import { OtlpHttpReceiver, type ReceivedBatch, type TraceConsumer } from './index.ts';

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
/** SUCCESS of @opentelemetry/core. */
const SUCCESS = 0;
type ExporterConfig = NonNullable<ConstructorParameters<typeof OtlpJsonExporter>[0]>;
type Compression = ExporterConfig['compression'];

const exporters = [
  ['exporter-trace-otlp-http (JSON)', (config: ExporterConfig) => new OtlpJsonExporter(config)],
  ['exporter-trace-otlp-proto (protobuf)', (config: ExporterConfig) => new OtlpProtoExporter(config)],
] as const;

let receiver: OtlpHttpReceiver | undefined;

afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

async function startReceiver(consume: TraceConsumer): Promise<string> {
  receiver = new OtlpHttpReceiver({ port: 0, projectId: () => 'acme' }, consume);
  const { host, port } = await receiver.start();
  return `http://${host}:${port}/v1/traces`;
}

/** Wraps an exporter so the test sees the result the SDK got for each export. */
function recordingResults(exporter: SpanExporter, results: ExportResult[]): SpanExporter {
  return {
    export: (spans, done) => exporter.export(spans, (result) => done((results.push(result), result))),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

function bySpanId(records: SpanRecord[]): SpanRecord[] {
  return [...records].sort((a, b) => a.spanId.localeCompare(b.spanId));
}

describe.each(exporters)('%s', (_name, createExporter) => {
  it.each(['none', 'gzip'] as const)('delivers spans with compression %s', async (compression) => {
    const batches: ReceivedBatch[] = [];
    const url = await startReceiver(async (batch) => {
      batches.push(batch);
    });
    const results: ExportResult[] = [];
    const exporter = recordingResults(createExporter({ url, compression: compression as Compression }), results);
    const spans = await recordSpans(emitAgentTrace, new SimpleSpanProcessor(exporter));

    expect(results.map((r) => r.code)).toEqual(spans.map(() => SUCCESS));
    const received = batches.flatMap((batch) => batch.spans);
    expect(bySpanId(received)).toEqual(bySpanId(spans.map((span) => expectedRecord(span, 'acme'))));
    // Spot checks independent of the expectation helper: the link, the event, the error status.
    const chat = received.find((span) => span.name === 'chat gpt-4o-mini')!;
    const run = received.find((span) => span.name === 'invoke_workflow demo')!;
    expect(chat.parentSpanId).toBe(run.spanId);
    expect(chat.links).toEqual([{ traceId: run.traceId, spanId: run.spanId, traceState: '', attributes: { 'link.reason': 'retry-of' } }]);
    expect(chat.events).toEqual([{ timeUnixNano: 1_700_000_000_300_000_000n, name: 'flowtrace.retry', attributes: { 'flowtrace.attempt': '2', 'flowtrace.reason': 'rate_limit' } }]);
    expect([chat.kind, chat.statusCode, chat.statusMessage]).toEqual(['Client', 'Error', 'provider returned 429']);
    expect(chat.startTimeUnixNano).toBe(1_700_000_000_200_000_000n);
    expect(chat.endTimeUnixNano).toBe(1_700_000_000_900_000_001n);
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBe('1234');
    expect(chat.attributes['gen_ai.response.finish_reasons']).toBe('["stop","length"]');
    expect(chat.serviceName).toBe('checkout-agent');
  });

  it('retries after a 429 with Retry-After and delivers the same request (same dedup key) once accepted', async () => {
    const attempts: ReceivedBatch[] = [];
    const url = await startReceiver(async (batch) => {
      attempts.push(batch);
      if (attempts.length === 1) throw new BackpressureError('queue full', 0);
    });
    const results: ExportResult[] = [];
    const exporter = recordingResults(createExporter({ url }), results);
    await recordSpans((tracer) => tracer.startSpan('one').end(), new SimpleSpanProcessor(exporter));

    expect(results.map((r) => r.code)).toEqual([SUCCESS]);
    expect(attempts).toHaveLength(2);
    expect(attempts[1].dedupKey).toBe(attempts[0].dedupKey);
    expect(attempts[1].spans).toEqual(attempts[0].spans);
  });
});
