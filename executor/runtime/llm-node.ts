// An llm node: renders its system text, prompt and inputs, then hands the step to the
// LlmStepRunner (which owns retries, fallbacks, the cache and the inference spans). Usage
// reaches the run's guard after every attempt through StepContext.onUsage.
import type { LlmStepRequest } from '../contracts.ts';
import { FLOWTRACE } from '../../core/semconv.ts';
import type { LlmNode } from '../spec/types.ts';
import type { NodeOutcome, NodeRun } from './context.ts';
import { renderRecord, renderText } from './render.ts';
import { DEFAULT_RETRY, retryPolicy } from './retry.ts';

/** Without a prompt template the inputs are the prompt: one input as is, several as labelled blocks. */
export function promptFromInputs(inputs: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const entries = Object.entries(inputs);
  if (entries.length === 1) return text(entries[0]![1]);
  return entries.map(([name, value]) => `${name}:\n${text(value)}`).join('\n\n');
}

export function llmRequest(node: LlmNode, run: NodeRun): LlmStepRequest {
  const { config } = node;
  const inputs = renderRecord(node.inputs, run.scope);
  return {
    target: { provider: config.provider, model: config.model },
    fallbacks: node.fallbacks ?? [],
    retry: retryPolicy(node.retry, DEFAULT_RETRY),
    system: config.system === undefined ? undefined : renderText(config.system, run.scope),
    prompt: config.prompt === undefined ? promptFromInputs(inputs) : renderText(config.prompt, run.scope),
    temperature: config.temperature,
    maxTokens: config.maxTokens,
    stream: config.stream,
    cache: node.cache ?? true,
    inputs,
    timeoutMs: config.timeoutSeconds === undefined ? undefined : config.timeoutSeconds * 1000,
  };
}

export async function runLlmNode(node: LlmNode, run: NodeRun): Promise<NodeOutcome> {
  const { ctx, origin } = run;
  const request = llmRequest(node, run);
  const content = ctx.captureContent ? { system: request.system, prompt: request.prompt } : {};
  ctx.events.emit(
    'llm.request',
    { provider: request.target.provider, model: request.target.model, fallbacks: request.fallbacks, cache: request.cache, ...content },
    origin,
  );
  // runWorkflow refuses to start a workflow with llm nodes without a runner.
  const result = await ctx.runner!.run(request, {
    signal: run.signal,
    onUsage: (usage, costUsd) => {
      run.meter.attempt(usage, costUsd);
      ctx.guard.addUsage(usage, costUsd);
    },
    // Retries and fallbacks reach listeners while the step still runs, not when it ends.
    onAttempt: ({ kind, ...payload }) => ctx.events.emit(kind, payload, origin),
  });
  if (result.cacheHit) {
    run.step.setAttribute(FLOWTRACE.CACHE_HIT, true);
    ctx.events.emit('cache.hit', { provider: result.provider, model: result.model, savedCostUsd: result.savedCostUsd }, origin);
  }
  ctx.events.emit(
    'llm.response',
    {
      provider: result.provider,
      model: result.model,
      tokens: result.totalUsage,
      costUsd: result.costUsd,
      attempts: result.attempts,
      cacheHit: result.cacheHit,
      ...(ctx.captureContent ? { text: result.text } : {}),
    },
    origin,
  );
  return {
    output: result.text,
    tokens: result.totalUsage,
    costUsd: result.costUsd,
    attempts: result.attempts,
    retries: result.retries,
    fallbackUsed: result.fallbackUsed,
    cacheHit: result.cacheHit,
    provider: result.provider,
    model: result.model,
  };
}
