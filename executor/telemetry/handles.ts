// What code inside withRun / withStep / withToolCall gets to annotate its span.
import { SpanStatusCode, type AttributeValue, type Attributes, type Span } from '@opentelemetry/api';
import type { FailureReason } from '../../core/span.ts';
import { ERROR_TYPE } from '../../core/semconv.ts';
import { failureReasonOf } from './errors.ts';

export interface SpanHandle {
  readonly span: Span;
  /** The run this span belongs to; empty outside a run. */
  readonly runId: string;
  addEvent(name: string, attributes?: Attributes): void;
  setAttribute(key: string, value: AttributeValue): void;
  setAttributes(attributes: Attributes): void;
  /** Marks the span failed: status ERROR, `error.type` = reason, an exception event. */
  fail(error: unknown, reason?: FailureReason): void;
}

export interface RunHandle extends SpanHandle {
  readonly workflowName: string;
}

export interface StepHandle extends SpanHandle {
  readonly stepId: string;
  readonly nodeId: string;
  readonly nodeType: string;
}

export interface ToolCallHandle extends SpanHandle {
  readonly toolName: string;
}

/**
 * Where a span sits in a run. Spans opened inside inherit it: every span carries the run,
 * workflow, step and node ids (the pipeline and the live tail group by them), and attempts
 * carry their step's semantic label, so cost by label adds up.
 */
export interface RunScope {
  runId: string;
  workflowId?: string;
  stepId?: string;
  nodeId?: string;
  semanticLabel?: string;
}

export class SpanHandleImpl implements SpanHandle {
  /** Set once fail() recorded a reason, so a later thrown error does not overwrite it. */
  failed = false;

  constructor(
    readonly span: Span,
    readonly scope: RunScope,
  ) {}

  get runId(): string {
    return this.scope.runId;
  }

  get semanticLabel(): string | undefined {
    return this.scope.semanticLabel;
  }

  addEvent(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }

  setAttribute(key: string, value: AttributeValue): void {
    this.span.setAttribute(key, value);
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  fail(error: unknown, reason: FailureReason = failureReasonOf(error)): void {
    this.failed = true;
    const exception = error instanceof Error ? error : new Error(String(error));
    this.span.recordException(exception);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
    this.span.setAttribute(ERROR_TYPE, reason);
  }
}
