// A tool node: renders its arguments, then calls the tool inside an `execute_tool` span,
// once per attempt; transient failures are retried when the node has a retry policy.
import { randomUUID } from 'node:crypto';
import { FLOWTRACE, FLOWTRACE_EVENT, FLOWTRACE_EVENT_ATTR } from '../../core/semconv.ts';
import { DEFAULT_TOOL } from '../spec/semantic.ts';
import type { ToolNode } from '../spec/types.ts';
import { FlowTraceRunError } from '../telemetry/index.ts';
import { ToolError, type ToolFunction } from '../tools/types.ts';
import type { NodeOutcome, NodeRun } from './context.ts';
import { renderRecord } from './render.ts';
import { NO_RETRY, backoffDelayMs, retryPolicy, sleep } from './retry.ts';

/** Tool results are checkpointed and templated: they must survive a JSON round trip. */
function jsonOutput(toolName: string, value: unknown): unknown {
  try {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  } catch (err) {
    throw new ToolError('tool_error', `tool '${toolName}' returned a value that is not JSON-serialisable: ${(err as Error).message}`);
  }
}

function isRetryable(err: unknown, signal: AbortSignal): boolean {
  return !signal.aborted && err instanceof ToolError && err.retryable;
}

async function callOnce(toolName: string, fn: ToolFunction, args: Record<string, unknown>, run: NodeRun, attempt: number): Promise<unknown> {
  const { ctx, origin } = run;
  run.meter.attempt();
  return ctx.telemetry.withToolCall({ toolName, toolType: 'function', callId: randomUUID() }, async (span) => {
    span.setAttribute(FLOWTRACE.ATTEMPT, attempt);
    ctx.events.emit('tool.request', { tool: toolName, attempt, ...(ctx.captureContent ? { args } : {}) }, origin);
    const started = performance.now();
    try {
      const output = jsonOutput(toolName, await fn(args, { signal: run.signal, runId: ctx.runId, nodeId: origin.nodeId! }));
      ctx.events.emit(
        'tool.response',
        { tool: toolName, attempt, latencyMs: Math.round(performance.now() - started), ...(ctx.captureContent ? { output } : {}) },
        origin,
      );
      return output;
    } catch (err) {
      ctx.events.emit(
        'tool.response',
        { tool: toolName, attempt, latencyMs: Math.round(performance.now() - started), error: (err as Error).message },
        origin,
      );
      throw err;
    }
  });
}

export async function runToolNode(node: ToolNode, run: NodeRun): Promise<NodeOutcome> {
  const { tool: toolName = DEFAULT_TOOL, ...config } = node.config;
  const fn = run.ctx.tools.get(toolName);
  if (!fn) throw new FlowTraceRunError('invalid_request', `tool node '${node.id}': unknown tool '${toolName}'`);
  const args = renderRecord({ ...config, ...node.inputs }, run.scope);
  const policy = retryPolicy(node.retry, NO_RETRY);
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await callOnce(toolName, fn, args, run, attempt);
      return { output, attempts: attempt, retries: attempt - 1 };
    } catch (err) {
      if (attempt >= policy.maxAttempts || !isRetryable(err, run.signal)) {
        throw err;
      }
      const delayMs = backoffDelayMs(policy, attempt);
      const reason = (err as ToolError).reason;
      run.step.addEvent(FLOWTRACE_EVENT.RETRY, {
        [FLOWTRACE_EVENT_ATTR.ATTEMPT]: attempt + 1,
        [FLOWTRACE_EVENT_ATTR.DELAY_MS]: delayMs,
        [FLOWTRACE_EVENT_ATTR.REASON]: reason,
      });
      run.ctx.events.emit('retry', { tool: toolName, attempt: attempt + 1, delayMs, reason, error: (err as Error).message }, run.origin);
      await sleep(delayMs, run.signal);
    }
  }
}
