import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrichedSpan } from '../core/span.ts';
import { ChdbStore } from './chdb/chdb-store.ts';
import { makeSpan, nanos } from './fixtures.ts';
import { serializeSpans } from './rows.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowtrace-rows-'));
const store = new ChdbStore({ dataDir: dir });
let token = 0;

beforeAll(() => store.migrate());
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function insert(spans: EnrichedSpan[]): Promise<void> {
  await store.insertSpans(spans, `rows-test-${++token}`);
}

async function rows<T>(sql: string): Promise<T[]> {
  return (await store.query(sql)).split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

describe('otel_traces_trace_id_ts rows', () => {
  it('records each trace id with its first and last span start in seconds, as the exporter does', async () => {
    const traceId = 'e'.repeat(32);
    const at = (iso: string, extraNs = 0n) => makeSpan({ traceId, startTimeUnixNano: nanos(iso, extraNs), endTimeUnixNano: nanos(iso, extraNs) + 5n });
    await insert([at('2026-11-21T05:44:01.900Z'), at('2026-11-21T05:44:00.250Z'), at('2026-11-21T05:44:03.000Z', 999_999n), makeSpan()]);
    expect(await rows(`SELECT TraceId, toString(Start) AS Start, toString(End) AS End FROM otel_traces_trace_id_ts WHERE TraceId = '${traceId}'`)).toEqual([
      { TraceId: traceId, Start: '2026-11-21 05:44:00', End: '2026-11-21 05:44:03' },
    ]);
    // A later batch of the same trace adds a row; readers take min(Start) and max(End).
    await insert([at('2026-11-21T05:50:00.000Z')]);
    expect(await rows(`SELECT toString(min(Start)) AS Start, toString(max(End)) AS End FROM otel_traces_trace_id_ts WHERE TraceId = '${traceId}'`)).toEqual([
      { Start: '2026-11-21 05:44:00', End: '2026-11-21 05:50:00' },
    ]);
  });
});

describe('otel_traces rows', () => {
  it('round-trips nanosecond timestamps, durations and nested events/links exactly', async () => {
    const start = nanos('2026-11-21T05:44:00.123Z', 456_789n);
    const span = makeSpan({
      startTimeUnixNano: start,
      endTimeUnixNano: start + 987_654_321n,
      events: [
        { timeUnixNano: start + 1n, name: 'flowtrace.retry', attributes: { 'flowtrace.attempt': '2', 'flowtrace.reason': 'rate_limit' } },
        { timeUnixNano: start + 999_999_999n, name: 'exception', attributes: {} },
      ],
      links: [{ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceState: 'k=v', attributes: { why: 'fallback' } }],
    });
    await insert([span]);
    const [row] = await rows<Record<string, unknown>>(
      `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, toString(Duration) AS duration, toString(Timestamp, 'UTC') AS utc,
              arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS eventTimes, Events.Name AS eventNames, Events.Attributes AS eventAttrs,
              Links.TraceId AS linkTraces, Links.SpanId AS linkSpans, Links.TraceState AS linkStates, Links.Attributes AS linkAttrs,
              SpanKind, StatusCode, ServiceName, ProjectId, ResourceAttributes, SpanAttributes
       FROM otel_traces WHERE SpanId = '${span.spanId}'`,
    );
    expect(row).toEqual({
      ts: start.toString(),
      duration: '987654321',
      utc: '2026-11-21 05:44:00.123456789',
      eventTimes: [(start + 1n).toString(), (start + 999_999_999n).toString()],
      eventNames: ['flowtrace.retry', 'exception'],
      eventAttrs: [{ 'flowtrace.attempt': '2', 'flowtrace.reason': 'rate_limit' }, {}],
      linkTraces: ['c'.repeat(32)],
      linkSpans: ['d'.repeat(16)],
      linkStates: ['k=v'],
      linkAttrs: [{ why: 'fallback' }],
      SpanKind: 'Client',
      StatusCode: 'Ok',
      ServiceName: 'support-agent',
      ProjectId: 'default',
      ResourceAttributes: span.resourceAttributes,
      SpanAttributes: span.attributes,
    });
  });

  it('writes timestamps near the epoch exactly and clamps a negative duration to 0', async () => {
    const span = makeSpan({ startTimeUnixNano: 5n, endTimeUnixNano: 3n, events: [{ timeUnixNano: 0n, name: 'e', attributes: {} }] });
    await insert([span]);
    const [row] = await rows<{ ts: string; d: string; e: string[] }>(
      `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, toString(Duration) AS d, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS e
       FROM otel_traces WHERE SpanId = '${span.spanId}'`,
    );
    expect(row).toEqual({ ts: '5', d: '0', e: ['0'] });
  });

  it('escapes quotes, backslashes, control characters and replaces lone surrogates', async () => {
    const nasty = 'q"uote \\back\\ud800 text\nnew\tline\u0000nul \u2028 😀';
    const span = makeSpan({
      name: nasty,
      statusMessage: 'lone \ud800 high and \udc00 low',
      attributes: { [nasty]: nasty, 'k\ud83d': 'v' },
    });
    await insert([span]);
    const [row] = await rows<{ SpanName: string; StatusMessage: string; SpanAttributes: Record<string, string> }>(
      `SELECT SpanName, StatusMessage, SpanAttributes FROM otel_traces WHERE SpanId = '${span.spanId}'`,
    );
    expect(row!.SpanName).toBe(nasty);
    expect(row!.StatusMessage).toBe('lone \ufffd high and \ufffd low');
    expect(row!.SpanAttributes).toEqual({ [nasty]: nasty, 'k\ufffd': 'v' });
  });
});

describe('span_facts rows', () => {
  it('fills every column from the enriched span', async () => {
    const span = makeSpan({
      attributes: { 'gen_ai.workflow.name': 'Support triage', 'flowtrace.router.branch': 'billing' },
      statusCode: 'Error',
      statusMessage: '429 Too Many Requests',
      genai: {
        dialect: 'openinference',
        operation: 'chat',
        provider: 'anthropic',
        requestModel: 'claude-sonnet-4',
        responseModel: 'claude-sonnet-4-20250514',
        usage: { input: 2048, output: 512, cacheRead: 1024, cacheWrite: 64, reasoning: 128 },
        isInference: true,
        finishReasons: [],
        errorType: 'rate_limit_error',
      },
      run: {
        runId: 'run-42', stepId: 'step-7', nodeId: 'draft', nodeType: 'llm', workflowId: 'wf', workflowVersion: '9',
        semanticLabel: 'draft-answer', attempt: 3, fallbackFrom: 'openai/gpt-4o', cacheHit: true, role: 'llm',
      },
      cost: { usd: '0.012345678901', status: 'override', priceRef: 'user:anthropic/claude-sonnet-4@2025-05-14', reason: 'price override', savedUsd: '0.5' },
      failure: { failureClass: 'model', reason: 'rate_limit', evidence: 'http.status=429' },
    });
    await insert([span]);
    const [row] = await rows<Record<string, unknown>>(
      `SELECT * EXCEPT (Timestamp, EndTime), toString(toUnixTimestamp64Nano(Timestamp)) AS start, toString(toUnixTimestamp64Nano(EndTime)) AS end,
              toString(CostUsd) AS cost, toString(SavedCostUsd) AS saved
       FROM span_facts WHERE SpanId = '${span.spanId}' SETTINGS output_format_json_quote_64bit_integers = 0, output_format_json_quote_decimals = 1`,
    );
    expect(row).toEqual({
      ProjectId: 'default', start: span.startTimeUnixNano.toString(), end: span.endTimeUnixNano.toString(),
      DurationNs: Number(span.endTimeUnixNano - span.startTimeUnixNano),
      TraceId: span.traceId, SpanId: span.spanId, ParentSpanId: span.parentSpanId, SpanName: span.name, ServiceName: 'support-agent',
      Role: 'llm', RunId: 'run-42', StepId: 'step-7', NodeId: 'draft', NodeType: 'llm', WorkflowId: 'wf', WorkflowVersion: '9',
      WorkflowName: 'Support triage', SemanticLabel: 'draft-answer', RouterBranch: 'billing',
      Operation: 'chat', Provider: 'anthropic', RequestModel: 'claude-sonnet-4', ResponseModel: 'claude-sonnet-4-20250514', Dialect: 'openinference',
      IsInference: 1, InputTokens: 2048, OutputTokens: 512, CacheReadTokens: 1024, CacheWriteTokens: 64, ReasoningTokens: 128,
      CostUsd: '0.012345678901', cost: '0.012345678901', CostStatus: 'override', CostReason: 'price override',
      PriceRef: 'user:anthropic/claude-sonnet-4@2025-05-14', SavedCostUsd: '0.5', saved: '0.5',
      Attempt: 3, FallbackFrom: 'openai/gpt-4o', CacheHit: 1, StatusCode: 'Error', StatusMessage: '429 Too Many Requests',
      ErrorType: 'rate_limit_error', FailureClass: 'model', FailureReason: 'rate_limit', FailureEvidence: 'http.status=429',
    });
  });

  it('writes 0 tokens without usage and NULL cost without a price', async () => {
    const base = makeSpan();
    const span = makeSpan({ genai: { ...base.genai, usage: undefined, isInference: false }, cost: undefined, failure: undefined });
    const unpriced = makeSpan({ cost: { usd: null, status: 'unknown_model', priceRef: '', reason: 'no price for gpt-9', savedUsd: null } });
    await insert([span, unpriced]);
    const found = await rows<{ SpanId: string; tokens: number; CostUsd: string | null; CostStatus: string; FailureClass: string }>(
      `SELECT SpanId, InputTokens + OutputTokens + CacheReadTokens + CacheWriteTokens + ReasoningTokens AS tokens, CostUsd, CostStatus, FailureClass
       FROM span_facts WHERE SpanId IN ('${span.spanId}', '${unpriced.spanId}') ORDER BY SpanId SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    expect(found).toEqual([
      { SpanId: span.spanId, tokens: 0, CostUsd: null, CostStatus: '', FailureClass: '' },
      { SpanId: unpriced.spanId, tokens: 1200 + 300 + 200, CostUsd: null, CostStatus: 'unknown_model', FailureClass: '' },
    ]);
  });

  it('refuses a cost that is not a decimal string, naming the span', () => {
    const span = makeSpan({ cost: { usd: '1e-5', status: 'priced', priceRef: '', reason: '', savedUsd: null } });
    expect(() => serializeSpans([span])).toThrow(`span ${span.traceId}/${span.spanId}: cost "1e-5" is not a decimal string`);
  });

  it('rejects the insert of a batch holding such a span (a rejected promise, nothing written)', async () => {
    const good = makeSpan();
    const bad = makeSpan({ cost: { usd: '1e-5', status: 'priced', priceRef: '', reason: '', savedUsd: null } });
    const inserting = store.insertSpans([good, bad], 'rows-test-bad-cost');
    await expect(inserting).rejects.toThrow('cost "1e-5" is not a decimal string');
    expect(await rows(`SELECT SpanId FROM otel_traces WHERE SpanId = '${good.spanId}'`)).toEqual([]);
  });
});
