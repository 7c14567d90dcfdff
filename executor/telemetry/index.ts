// Public telemetry API: used by the executor and, as a library, by agents that run their
// own loop. The free functions use the current run's telemetry, else the newest one created.
import { currentFrame } from './context.ts';
import type { RunHandle, SpanHandle, StepHandle, ToolCallHandle } from './handles.ts';
import {
  activeTelemetry,
  type LlmCallFacts,
  type LlmCallOptions,
  type RunOptions,
  type StepOptions,
  type ToolCallOptions,
} from './telemetry.ts';

export { createTelemetry, activeTelemetry, Telemetry } from './telemetry.ts';
export type { LlmCallFacts, LlmCallOptions, RunOptions, StepOptions, ToolCallOptions } from './telemetry.ts';
export type { TelemetryConfig } from './config.ts';
export type { RunHandle, SpanHandle, StepHandle, ToolCallHandle } from './handles.ts';
export type { InferenceOutcome, InferenceRequest, InferenceSpan } from './inference-span.ts';
export { FlowTraceRunError, FAILURE_REASONS, failureReasonOf, isFailureReason } from './errors.ts';
export { ZERO_USAGE, addUsage, addUsd, callCostUsd, isZeroUsage } from './cost.ts';

export function withRun<T>(opts: RunOptions, fn: (run: RunHandle) => Promise<T>): Promise<T> {
  return activeTelemetry().withRun(opts, fn);
}

export function withStep<T>(opts: StepOptions, fn: (step: StepHandle) => Promise<T>): Promise<T> {
  return activeTelemetry().withStep(opts, fn);
}

export function withToolCall<T>(opts: ToolCallOptions, fn: (tool: ToolCallHandle) => Promise<T>): Promise<T> {
  return activeTelemetry().withToolCall(opts, fn);
}

export function trackLlmCall<T>(opts: LlmCallOptions, call: () => Promise<T>, extract: (result: T) => LlmCallFacts): Promise<T> {
  return activeTelemetry().trackLlmCall(opts, call, extract);
}

/** The innermost run / step / tool / inference span of the calling code, if any. */
export function currentSpanHandle(): SpanHandle | undefined {
  return currentFrame()?.handle;
}
