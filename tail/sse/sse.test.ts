// SSE streams against the real engine: spans are processed by the processor chain,
// committed to chdb and published on an in-process bus, exactly like the embedded pipeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpanStore, StatementRequest } from '../../storage/store.ts';
import { startTailHarness, type TailHarness } from '../test-support/harness.ts';
import { expectedEvents, supportRun } from '../test-support/expected-events.ts';
import { RunRecords, batchesOf } from '../test-support/run-records.ts';
import { SseTestClient } from '../test-support/sse-client.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');

const isRunEnd = (client: SseTestClient) => client.traceEvents().some((e) => e.kind === 'run.status');

describe('SSE trace streams', () => {
  let h: TailHarness;
  /** When set, a history read waits for it before it runs (to commit spans in the middle of a replay). */
  let beforeHistoryRead: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const holdHistory = (store: SpanStore): SpanStore => ({
      migrate: () => store.migrate(),
      insertSpans: (spans, token) => store.insertSpans(spans, token),
      insertSpanRows: (batch, token) => store.insertSpanRows(batch, token),
      query: (sql, format) => store.query(sql, format),
      close: () => store.close(),
      async execute(request: StatementRequest) {
        const hook = beforeHistoryRead;
        if (hook && request.sql.includes('FROM span_facts FINAL')) {
          beforeHistoryRead = undefined;
          await hook();
        }
        return store.execute(request);
      },
    });
    h = await startTailHarness({ sse: { maxBufferedBytes: 4 * 1024 * 1024, disconnectGraceMs: 30_000 } }, { wrapStore: holdHistory });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("streams a run's history, then its live events: every event once, in id order", async () => {
    const records = supportRun('run-live', T0, { capture: true });
    const batches = batchesOf(records, 3);
    await h.ingest(batches[0]!);
    await h.ingest(batches[1]!);
    const client = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-live/stream`);
    expect(client.status).toBe(200);
    expect(client.response.headers['content-type']).toMatch(/^text\/event-stream/);
    for (const batch of batches.slice(2)) await h.ingest(batch);
    await client.waitFor(isRunEnd, 10_000, 'run.status');

    const received = client.traceEvents();
    expect(received.map((e) => ({ id: e.id, kind: e.kind }))).toEqual(expectedEvents(records));
    // Each event's SSE id is its own id (all were sent in order).
    expect(client.events.filter((e) => e.event === 'trace').map((e) => e.id)).toEqual(received.map((e) => e.id));

    const byKind = (kind: string) => received.filter((e) => e.kind === kind);
    expect(byKind('retry')[0]!.payload).toMatchObject({ attempt: 2, delay_ms: 250, reason: 'RateLimitError' });
    expect(byKind('fallback')[0]!.payload).toMatchObject({ from: 'openai/gpt-4o', to: 'anthropic/claude-sonnet-4-5' });
    expect(byKind('cache.hit')[0]!.payload).toMatchObject({ saved_input_tokens: 100, saved_output_tokens: 50, saved_cost_usd: '0.0012' });
    expect(byKind('run.status')[0]!.payload).toMatchObject({ status: 'succeeded', workflow_id: 'triage' });
    expect(byKind('log').map((e) => e.payload.source)).toEqual(['step', 'step', 'step', 'step', 'step', 'budget']);
    // Failed attempt: classified; content only because capture was on.
    const [failed, retried] = byKind('llm.response');
    expect(failed!.payload).toMatchObject({ status: 'error', failure_class: 'model', failure_reason: 'rate_limit' });
    expect(retried!.payload).toMatchObject({ status: 'ok', input_tokens: 800, output_tokens: 12, attempt: 2 });
    expect(byKind('llm.request')[0]!.payload.input_messages).toContain('classify prompt 1');

    // Tokens and cost of every llm.response equal what storage holds for that span.
    const stored = JSON.parse(
      `[${(await h.store.query("SELECT SpanId, InputTokens, OutputTokens, toString(CostUsd) AS Cost FROM span_facts FINAL WHERE RunId = 'run-live' AND IsInference = 1"))
        .trim()
        .split('\n')
        .join(',')}]`,
    ) as Array<{ SpanId: string; InputTokens: number; OutputTokens: number; Cost: string | null }>;
    for (const response of byKind('llm.response')) {
      const row = stored.find((r) => r.SpanId === response.span_id)!;
      expect(response.payload).toMatchObject({ input_tokens: Number(row.InputTokens), output_tokens: Number(row.OutputTokens), cost_usd: row.Cost });
    }
    client.close();
  });

  it('replays exactly what it sent live when the run is read from storage', async () => {
    const records = supportRun('run-replay', T0 + 60_000, { capture: true });
    const live = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-replay/stream`);
    for (const batch of batchesOf(records, 4)) await h.ingest(batch);
    await live.waitFor(isRunEnd, 10_000, 'run.status (live)');
    const history = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-replay/stream`);
    await history.waitFor(isRunEnd, 10_000, 'run.status (history)');
    expect(history.traceEvents()).toEqual(live.traceEvents());
    live.close();
    history.close();
  });

  it('resumes after a disconnect with Last-Event-ID: nothing missing, nothing repeated', async () => {
    const records = supportRun('run-resume', T0 + 120_000);
    const batches = batchesOf(records, 2);
    const expectedAfter = (batchCount: number) => expectedEvents(records.slice(0, batchCount * 2)).map((e) => e.id);
    const received = (...clients: SseTestClient[]) => clients.flatMap((c) => c.traceEvents().map((e) => e.id));

    const first = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-resume/stream`);
    await h.ingest(batches[0]!);
    await h.ingest(batches[1]!);
    await first.waitFor((c) => c.traceEvents().length === expectedAfter(2).length, 10_000, 'first events');
    first.close();
    // While disconnected, the run goes on.
    await h.ingest(batches[2]!);
    await h.ingest(batches[3]!);

    const second = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-resume/stream`, { 'Last-Event-ID': first.lastEventId! });
    await h.ingest(batches[4]!);
    await second.waitFor(() => received(first, second).length === expectedAfter(5).length, 10_000, 'replayed and live events');
    second.close();
    await h.ingest(batches[5]!);

    // The third connection resumes with the query parameter (clients that cannot set headers).
    const third = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-resume/stream?lastEventId=${encodeURIComponent(second.lastEventId!)}`);
    for (const batch of batches.slice(6)) await h.ingest(batch);
    await third.waitFor(isRunEnd, 10_000, 'run.status');

    expect(received(first, second, third)).toEqual(expectedEvents(records).map((e) => e.id));
    third.close();
  });

  it('sends spans committed while the history is read exactly once', async () => {
    const records = supportRun('run-race', T0 + 150_000);
    const batches = batchesOf(records, 4);
    await h.ingest(batches[0]!);
    // The client subscribes, then reads the history; this batch commits (and is published) in between.
    beforeHistoryRead = async () => {
      await h.ingest(batches[1]!);
    };
    const client = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-race/stream`);
    await client.waitFor((c) => c.traceEvents().length === expectedEvents(records.slice(0, 8)).length, 10_000, 'history');
    for (const batch of batches.slice(2)) await h.ingest(batch);
    await client.waitFor(isRunEnd, 10_000, 'run.status');
    expect(beforeHistoryRead).toBeUndefined();
    expect(client.traceEvents().map((e) => e.id)).toEqual(expectedEvents(records).map((e) => e.id));
    client.close();
  });

  it('delivers a span committed late without an id, so resuming repeats nothing', async () => {
    const records = supportRun('run-late', T0 + 160_000);
    // The tool call span (ended early) is exported late, after the spans of the next step.
    const lateIndex = records.findIndex((r) => r.name.startsWith('execute_tool'));
    const late = records[lateIndex]!;
    const onTime = records.filter((_, i) => i !== lateIndex);
    const client = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-late/stream`);
    await h.ingest(onTime.slice(0, 7));
    await client.waitFor((c) => c.traceEvents().length === expectedEvents(onTime.slice(0, 7)).length, 10_000, 'on-time events');
    const idBefore = client.lastEventId;
    await h.ingest([late]);
    await client.waitFor((c) => c.traceEvents().some((e) => e.span_id === late.spanId && e.kind === 'tool.response'), 10_000, 'late events');
    const lateFrames = client.events.filter((e) => e.event === 'trace' && JSON.parse(e.data).span_id === late.spanId);
    expect(lateFrames.map((e) => e.id)).toEqual([undefined, undefined]);
    expect(client.lastEventId).toBe(idBefore);
    client.close();

    const resumed = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-late/stream`, { 'Last-Event-ID': client.lastEventId! });
    await h.ingest(onTime.slice(7));
    await resumed.waitFor(isRunEnd, 10_000, 'run.status');
    const ids = [...client.traceEvents(), ...resumed.traceEvents()].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expectedEvents(records).map((e) => e.id).sort());
    resumed.close();
  });

  it('sends no event twice when the bus redelivers a batch', async () => {
    const records = supportRun('run-redelivered', T0 + 180_000);
    const client = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-redelivered/stream`);
    const spans = await h.ingest(records.slice(0, 5));
    h.bus.publish(spans);
    await h.ingest(records.slice(5));
    await client.waitFor(isRunEnd, 10_000, 'run.status');
    expect(client.traceEvents().map((e) => e.id)).toEqual(expectedEvents(records).map((e) => e.id));
    client.close();
  });

  it('rejects a malformed Last-Event-ID with 400 naming it', async () => {
    const client = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-live/stream`, { 'Last-Event-ID': 'not-an-id' });
    expect(client.status).toBe(400);
    expect(JSON.parse(await client.body())).toEqual({
      error: 'invalid parameter "Last-Event-ID": expected an event id of the form <span end ns>:<span id>:<n>',
    });
    const viaQuery = await SseTestClient.connect(`${h.baseUrl}/api/stream?lastEventId=12:zz`);
    expect(viaQuery.status).toBe(400);
    expect(await viaQuery.body()).toContain('invalid parameter \\"lastEventId\\"');
  });

  it('filters the firehose by service, kind and failure class, and shows nothing of other projects', async () => {
    const all = await SseTestClient.connect(`${h.baseUrl}/api/stream`);
    const filtered = await SseTestClient.connect(`${h.baseUrl}/api/stream?service=billing-agent&kind=llm.response,retry`);
    const failures = await SseTestClient.connect(`${h.baseUrl}/api/stream?failure_class=model`);
    const billing = supportRun('run-billing', T0 + 240_000, { serviceName: 'billing-agent' });
    const support = supportRun('run-support', T0 + 250_000);
    const otherProject = supportRun('run-other-project', T0 + 260_000, { projectId: 'globex' });
    await h.ingest([...billing, ...support, ...otherProject]);
    await all.waitFor((c) => c.traceEvents().filter((e) => e.kind === 'run.status').length === 2, 10_000, 'both runs');

    expect(new Set(all.traceEvents().map((e) => e.run_id))).toEqual(new Set(['run-billing', 'run-support']));
    const billingEvents = expectedEvents(billing).filter((e) => e.kind === 'llm.response' || e.kind === 'retry');
    await filtered.waitFor((c) => c.traceEvents().length === billingEvents.length, 10_000, 'filtered events');
    expect(filtered.traceEvents().map((e) => e.id)).toEqual(billingEvents.map((e) => e.id));
    // The failed attempts (rate limit, timeout) of both runs: a request and a response each.
    await failures.waitFor((c) => c.traceEvents().length === 8, 10_000, 'model failures');
    const responses = failures.traceEvents().filter((e) => e.kind === 'llm.response');
    expect(responses).toHaveLength(4);
    for (const e of responses) expect(e).toMatchObject({ payload: { status: 'error', failure_class: 'model' } });
    for (const c of [all, filtered, failures]) c.close();
  });

  it('drops a stalled client with a slow_consumer notice while the others keep receiving', async () => {
    const records = new RunRecords({ runId: 'run-bulky', workflowId: 'bulk', startMs: T0 + 300_000 });
    for (let i = 0; i < 100; i++) records.llmStep(`n${i}`, 'bulk', [{ provider: 'openai', model: 'gpt-4o-mini', ms: 10, input: 10, output: 10 }]);
    const spans = records.finish();
    const content = 'x'.repeat(200_000);
    for (const span of spans) if (span.name.startsWith('chat ')) span.attributes['gen_ai.input.messages'] = content;

    const stalled = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-bulky/stream`);
    const reader = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-bulky/stream`);
    stalled.response.pause();
    stalled.response.socket.pause();
    const before = h.server.liveConnections();
    // ~20 MB in batches of ~1 MB: a reading client is never more than the 4 MiB bound behind; a stalled one soon is.
    for (const batch of batchesOf(spans, 5)) await h.ingest(batch);

    await reader.waitFor(isRunEnd, 20_000, 'run.status for the reading client');
    expect(reader.traceEvents().map((e) => e.id)).toEqual(expectedEvents(spans).map((e) => e.id));
    expect(h.server.liveConnections()).toBe(before - 1);

    // The stalled client finds the reason at the end of what was buffered for it.
    stalled.response.socket.resume();
    stalled.response.resume();
    await stalled.waitFor((c) => c.ended, 20_000, 'the stalled stream to end');
    const last = stalled.events[stalled.events.length - 1]!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({ reason: 'slow_consumer' });
    expect(stalled.traceEvents().length).toBeLessThan(reader.traceEvents().length);
    reader.close();
  });
});
