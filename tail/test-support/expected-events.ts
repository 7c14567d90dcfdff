// What a run's spans must produce as trace events, worked out from the span records alone
// (not from the server's code), and a run with every kind of event. Test support only.
import type { SpanRecord } from '../../core/span.ts';
import { RunRecords } from './run-records.ts';

const EVENT_KINDS: Record<string, string> = {
  'flowtrace.retry': 'retry',
  'flowtrace.fallback': 'fallback',
  'flowtrace.cache.hit': 'cache.hit',
  'flowtrace.budget': 'log',
  'flowtrace.guardrail': 'log',
};

/** The events a run's spans must produce, worked out from the records alone (not from the server's code). */
export function expectedEvents(records: readonly SpanRecord[]): Array<{ id: string; kind: string }> {
  const spans = [...records].sort((a, b) =>
    a.endTimeUnixNano !== b.endTimeUnixNano ? (a.endTimeUnixNano < b.endTimeUnixNano ? -1 : 1) : a.spanId < b.spanId ? -1 : 1,
  );
  return spans.flatMap((span) => {
    const prefix = span.name.split(' ')[0];
    const kinds: string[] = [];
    if (prefix === 'chat') kinds.push('llm.request');
    if (prefix === 'execute_tool') kinds.push('tool.request');
    for (const e of span.events) if (EVENT_KINDS[e.name]) kinds.push(EVENT_KINDS[e.name]!);
    if (prefix === 'chat') kinds.push('llm.response');
    if (prefix === 'execute_tool') kinds.push('tool.response');
    if (prefix === 'step') kinds.push('log');
    if (prefix === 'invoke_workflow') kinds.push('run.status');
    return kinds.map((kind, n) => ({ id: `${span.endTimeUnixNano}:${span.spanId}:${n}`, kind }));
  });
}

export function supportRun(runId: string, startMs: number, options: { capture?: boolean; serviceName?: string; projectId?: string } = {}): SpanRecord[] {
  return new RunRecords({ runId, workflowId: 'triage', startMs, ...options })
    .llmStep('classify', 'classification', [
      { provider: 'openai', model: 'gpt-4o-mini', ms: 300, fail: { errorType: 'RateLimitError', httpStatus: 429, message: 'rate limited' } },
      { provider: 'openai', model: 'gpt-4o-mini', ms: 400, input: 800, output: 12 },
    ])
    .toolStep('search', 'web_search', 200)
    .llmStep('answer', 'answer', [
      { provider: 'openai', model: 'gpt-4o', ms: 500, fail: { errorType: 'APITimeoutError', message: 'request timed out' } },
      { provider: 'anthropic', model: 'claude-sonnet-4-5', ms: 900, input: 2000, output: 300, fallbackFrom: 'openai/gpt-4o' },
    ])
    .routerStep('decide', 'deep')
    .cachedStep('polish', 'rewrite', { input: 100, output: 50, costUsd: '0.0012' })
    .budgetWarning('0.5', '1')
    .finish();
}
