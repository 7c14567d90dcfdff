import { describe, expect, it } from 'vitest';
import { createProcessorChain } from '../../processors/chain.ts';
import { spanRecord } from '../../processors/testing.ts';
import { ENRICHED_SCHEMA, parseEnrichedRecord, summarize } from './summary.ts';

describe('enriched span summaries', () => {
  const [chat] = createProcessorChain().process([
    spanRecord({
      name: 'chat gpt-4o-mini',
      kind: 'Client',
      statusCode: 'Error',
      statusMessage: '429 Too Many Requests',
      durationMs: 850,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': '1200',
        'gen_ai.usage.output_tokens': '300',
        'flowtrace.run.id': 'run-7',
        'flowtrace.step.id': 'step-2',
        'http.response.status_code': '429',
        'gen_ai.input.messages': '[{"role":"user","content":"secret prompt"}]',
      },
    }),
  ]);

  it('carries identity, timing, run context, usage, cost and failure, and no attributes', () => {
    const summary = summarize(chat!);

    expect(summary).toMatchObject({
      spanId: chat!.spanId,
      traceId: chat!.traceId,
      name: 'chat gpt-4o-mini',
      kind: 'Client',
      durationMs: 850,
      startTimeUnixNano: chat!.startTimeUnixNano.toString(),
      statusCode: 'Error',
      role: 'llm',
      stepId: 'step-2',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      usage: { input: 1200, output: 300, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
      costUsd: chat!.cost!.usd,
      costStatus: chat!.cost!.status,
      failure: { class: chat!.failure!.failureClass, reason: chat!.failure!.reason, evidence: chat!.failure!.evidence },
    });
    expect(chat!.failure!.reason).toBe('rate_limit');
    expect(JSON.stringify(summary)).not.toContain('secret prompt');
  });

  it('reads back what it writes and names the field of an invalid record', () => {
    const record = { schema: ENRICHED_SCHEMA, projectId: 'default', runId: 'run-7', spans: [summarize(chat!)] };
    expect(parseEnrichedRecord(Buffer.from(JSON.stringify(record)))).toEqual(record);

    const broken = { ...record, spans: [{ ...summarize(chat!), startTimeUnixNano: 12 }] };
    expect(() => parseEnrichedRecord(JSON.stringify(broken))).toThrow(`not a ${ENRICHED_SCHEMA} record: spans.0.startTimeUnixNano: Expected string, received number`);
    expect(() => parseEnrichedRecord('{')).toThrow(`${ENRICHED_SCHEMA} record is not JSON`);
  });
});
