// Which run/step a piece of code runs in. The frame lives in the OpenTelemetry context
// (so any span started under it, ours or another library's, can be stamped with the run
// and step ids) and also in an AsyncLocalStorage of our own, so nesting keeps working when
// the host replaces or disables the global context manager.
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, trace, type Context, type Span } from '@opentelemetry/api';
import type { Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FLOWTRACE } from '../../core/semconv.ts';
import type { SpanHandleImpl } from './handles.ts';
import type { Telemetry } from './telemetry.ts';

export interface Frame {
  telemetry: Telemetry;
  handle: SpanHandleImpl;
}

const FRAME = createContextKey('flowtrace.frame');
const storage = new AsyncLocalStorage<Context>();

/** The context new spans descend from: the active OTel context when it is ours, else our own. */
export function currentContext(): Context {
  const active = context.active();
  if (active.getValue(FRAME) !== undefined) return active;
  return storage.getStore() ?? active;
}

export function frameOf(ctx: Context): Frame | undefined {
  return ctx.getValue(FRAME) as Frame | undefined;
}

export function currentFrame(): Frame | undefined {
  return frameOf(currentContext());
}

/** Runs `fn` with `span` as the active span and `frame` as the current frame. */
export function runInFrame<T>(parent: Context, span: Span, frame: Frame, fn: () => T): T {
  const ctx = trace.setSpan(parent, span).setValue(FRAME, frame);
  return storage.run(ctx, () => context.with(ctx, fn));
}

function stamp(span: SdkSpan, key: string, value: string | undefined): void {
  if (value && span.attributes[key] === undefined) span.setAttribute(key, value);
}

/**
 * Stamps the run, workflow, step and node ids on every span started inside a frame,
 * unless the span set its own (a nested run) — the pipeline derives run ids from them.
 */
export class RunContextSpanProcessor implements SpanProcessor {
  onStart(span: SdkSpan, parentContext: Context): void {
    const frame = frameOf(parentContext);
    if (!frame) return;
    const { runId, workflowId, stepId, nodeId } = frame.handle.scope;
    stamp(span, FLOWTRACE.RUN_ID, runId);
    stamp(span, FLOWTRACE.WORKFLOW_ID, workflowId);
    stamp(span, FLOWTRACE.STEP_ID, stepId);
    stamp(span, FLOWTRACE.NODE_ID, nodeId);
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
