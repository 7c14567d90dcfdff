// What a tool is: a named function from its (rendered) arguments to a JSON-serialisable
// output. Built-ins and user-registered tools share this shape.
import type { FailureReason } from '../../core/span.ts';

export interface ToolContext {
  /** Aborted when the run is cancelled or hits a limit; pass it to any I/O. */
  signal: AbortSignal;
  runId: string;
  nodeId: string;
}

/**
 * A tool receives the node's config (without `tool`) merged with its inputs, every
 * template already rendered. Its result becomes the node's output, so it must be
 * JSON-serialisable (it is checkpointed).
 */
export type ToolFunction = (args: Record<string, unknown>, ctx: ToolContext) => unknown;

const TRANSIENT: ReadonlySet<FailureReason> = new Set(['timeout', 'network', 'rate_limit', 'overloaded']);

/**
 * A tool failure with its taxonomy reason (timeout, network, tool_error, parse_error, ...).
 * `retryable` says whether a node's retry policy may try again (default: transient reasons).
 */
export class ToolError extends Error {
  override name = 'ToolError';
  readonly retryable: boolean;
  constructor(
    readonly reason: FailureReason,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? TRANSIENT.has(reason);
  }
}
