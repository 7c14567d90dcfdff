// Retry and fallback events reach a run's listener while the llm step is still running
// (StepContext.onAttempt), not when it ends: a progress view or a cancel button can act on
// them between attempts.
import { describe, expect, it } from 'vitest';
import { runWorkflow, type RunEvent, type RunWorkflowOptions } from '../../executor/index.ts';
import { useHarness } from '../../executor/runtime/test-support.ts';

const GPT = 'gpt-4o-mini';
const HAIKU = 'claude-3-5-haiku-latest';

const harness = useHarness();

const flow = (retry: Record<string, number>) => ({
  version: '1',
  name: 'live',
  entry: 'ask',
  nodes: [
    {
      id: 'ask',
      type: 'llm',
      config: { provider: 'openai', model: GPT, prompt: 'Explain tracing' },
      retry: { maxAttempts: 3, jitter: 0, ...retry },
      fallbacks: [{ provider: 'anthropic', model: HAIKU }],
      cache: false,
    },
  ],
  edges: [],
});

/** Each event with the provider calls made when it arrived and its arrival time. */
interface Observed {
  event: RunEvent;
  gptCalls: number;
  haikuCalls: number;
  at: number;
}

function observe(extra: RunWorkflowOptions = {}) {
  const seen: Observed[] = [];
  const options: RunWorkflowOptions = {
    runner: harness.runner(),
    telemetry: harness.captured.telemetry,
    onEvent: (event) => seen.push({ event, gptCalls: harness.calls(GPT), haikuCalls: harness.calls(HAIKU), at: performance.now() }),
    ...extra,
  };
  const of = (kind: RunEvent['kind']) => seen.filter((o) => o.event.kind === kind);
  return { seen, options, of };
}

describe('live retry and fallback events', () => {
  it('announces a retry before the backoff wait and the next attempt', async () => {
    const delayMs = 300;
    await harness.reset({ faults: [{ model: GPT, calls: [1], fault: 'rate_limit', retryAfterMs: delayMs }] });
    const { seen, options, of } = observe();
    const summary = await runWorkflow(flow({ initialDelayMs: 1, maxDelayMs: 5000 }), options);
    expect(summary.status).toBe('succeeded');

    const [retry] = of('retry');
    expect(of('retry')).toHaveLength(1);
    expect(retry!.event).toMatchObject({ nodeId: 'ask', stepId: summary.steps[0]!.stepId, payload: { attempt: 2, delayMs, reason: 'rate_limit' } });
    // Sent after the first (failed) call and before the second one started.
    expect(retry!.gptCalls).toBe(1);
    const response = of('llm.response')[0]!;
    expect(response.gptCalls).toBe(2);
    expect(seen.indexOf(retry!)).toBeLessThan(seen.indexOf(response));
    // The server's retry-after was waited out after the event, not before it.
    expect(response.at - retry!.at).toBeGreaterThanOrEqual(delayMs - 5);
  });

  it('announces a fallback before the fallback target is called', async () => {
    await harness.reset({ faults: [{ model: GPT, fault: 'unavailable' }] });
    const { seen, options, of } = observe();
    const summary = await runWorkflow(flow({ initialDelayMs: 1 }), options);
    expect(summary.status).toBe('succeeded');
    expect(summary.steps[0]).toMatchObject({ fallbackUsed: true, provider: 'anthropic' });

    expect(of('fallback')).toHaveLength(1);
    const fallback = of('fallback')[0]!;
    // 503 leaves the primary at once (no retry): attempt 2 is the fallback's first.
    expect(fallback.event.payload).toEqual({ attempt: 2, from: `openai/${GPT}`, to: `anthropic/${HAIKU}`, reason: 'overloaded' });
    expect(fallback.gptCalls).toBe(1);
    expect(fallback.haikuCalls).toBe(0);
    expect(of('retry')).toHaveLength(0);
    const stepDone = seen.find((o) => o.event.kind === 'step.status' && o.event.payload.status === 'succeeded')!;
    expect(seen.indexOf(fallback)).toBeLessThan(seen.indexOf(stepDone));
  });

  it('reports retries on the last target and the fallback in the order they happened', async () => {
    await harness.reset({
      faults: [
        { model: GPT, fault: 'server_error' },
        { model: HAIKU, calls: [1, 2], fault: 'rate_limit', retryAfterMs: 1 },
      ],
    });
    const { options, seen } = observe();
    const summary = await runWorkflow(flow({ initialDelayMs: 1 }), options);
    expect(summary.status).toBe('succeeded');
    const progress = seen.filter((o) => o.event.kind === 'retry' || o.event.kind === 'fallback').map((o) => [o.event.kind, o.event.payload.attempt, o.haikuCalls]);
    expect(progress).toEqual([
      ['fallback', 2, 0],
      ['retry', 3, 1],
      ['retry', 4, 2],
    ]);
    expect(summary.steps[0]).toMatchObject({ attempts: 4, retries: 2, fallbackUsed: true });
  });

  it('lets a listener cancel the run during a long backoff', async () => {
    await harness.reset({ faults: [{ model: GPT, fault: 'rate_limit', retryAfterMs: 30_000 }] });
    const cancel = new AbortController();
    const { options } = observe({ signal: cancel.signal });
    const listener = options.onEvent!;
    const started = performance.now();
    const summary = await runWorkflow(flow({ initialDelayMs: 1, maxDelayMs: 60_000 }), {
      ...options,
      onEvent: (event) => {
        listener(event);
        if (event.kind === 'retry') cancel.abort();
      },
    });
    expect(summary).toMatchObject({ status: 'canceled', failureReason: 'cancelled' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(harness.calls(GPT)).toBe(1);
  });
});
