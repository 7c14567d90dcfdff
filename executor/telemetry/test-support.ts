// Shared set-up for tests that check emitted spans: a telemetry instance whose spans land
// in memory, and lookups over them.
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTelemetry, type Telemetry } from './telemetry.ts';

export interface CapturedTelemetry {
  telemetry: Telemetry;
  /** Flushes and returns every span finished so far, in end order. */
  spans(): Promise<ReadableSpan[]>;
  reset(): void;
}

export function captureTelemetry(options: { captureContent?: boolean } = {}): CapturedTelemetry {
  const exporter = new InMemorySpanExporter();
  const telemetry = createTelemetry({ exporter, captureContent: options.captureContent ?? false, serviceName: 'flowtrace-test' });
  return {
    telemetry,
    async spans() {
      await telemetry.forceFlush();
      return exporter.getFinishedSpans();
    },
    reset: () => exporter.reset(),
  };
}

export const parentIdOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
export const spanIdOf = (span: ReadableSpan): string => span.spanContext().spanId;

export function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

export function one(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = byName(spans, name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length} among ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
}
