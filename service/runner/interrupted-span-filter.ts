// Interrupting a run at shutdown aborts it, and the executor ends its open spans (the run,
// the steps in flight, their provider calls) as cancelled. The run is not cancelled, though:
// it continues from its checkpoint at the next start, with a new run span. This exporter
// wrapper drops exactly those interruption artefacts, so storage never shows an interrupted
// run as cancelled or counts the steps it will run again.
import type { ExportResult } from '@opentelemetry/core';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ERROR_TYPE, FLOWTRACE } from '../../core/semconv.ts';

export class InterruptedRunSpanFilter implements SpanExporter {
  private readonly interrupted = new Set<string>();

  constructor(private readonly inner: SpanExporter) {}

  /** From now on, spans of this run that end as cancelled are not exported. */
  interrupt(runId: string): void {
    this.interrupted.add(runId);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const kept = this.interrupted.size === 0 ? spans : spans.filter((span) => !this.isInterruption(span));
    this.inner.export(kept, resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private isInterruption(span: ReadableSpan): boolean {
    const runId = span.attributes[FLOWTRACE.RUN_ID];
    return (
      typeof runId === 'string' &&
      this.interrupted.has(runId) &&
      span.status.code === SpanStatusCode.ERROR &&
      span.attributes[ERROR_TYPE] === 'cancelled'
    );
  }
}
