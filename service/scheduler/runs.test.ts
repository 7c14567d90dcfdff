import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderSimulator } from '../../executor/simulator/index.ts';
import type { TraceEvent } from '../../tail/events/derive.ts';
import { SseTestClient } from '../../tail/test-support/sse-client.ts';
import { RunDetailSchema } from './run-detail.ts';
import { apiClient, type ApiClient } from '../test-support/http.ts';
import { startServiceStack, type ServiceStack } from '../test-support/stack.ts';
import { llmChain } from '../test-support/workflows.ts';

const home = mkdtempSync(join(tmpdir(), 'flowtrace-runs-'));
const simulator = new ProviderSimulator();
let stack: ServiceStack;
let api: ApiClient;

const CONCURRENCY = 2;
const MAX_QUEUED = 1;
const SLOW_MS = 400;

beforeAll(async () => {
  const address = await simulator.start();
  stack = await startServiceStack({
    home,
    providers: { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test' } },
    service: { concurrency: CONCURRENCY, maxQueuedRuns: MAX_QUEUED, shutdownGraceMs: 0 },
  });
  api = apiClient(stack.baseUrl);
});
afterAll(async () => {
  await stack?.stop();
  await simulator.stop();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => {
  simulator.configure({ latency: { models: { 'slow-*': { fixedMs: SLOW_MS } } } });
  simulator.reset();
});

async function createWorkflow(graph: Record<string, unknown>): Promise<string> {
  const res = await api.post('/api/workflows', { name: String(graph.name), graph_json: graph });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function startRun(workflowId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post(`/api/workflows/${workflowId}/runs`, body);
  expect(res.status).toBe(202);
  return res.body.runId;
}

/** Polls the run detail until its status is one of `statuses`. */
async function waitForStatus(runId: string, statuses: string[], timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.get(`/api/runs/${runId}`);
    if (res.status === 200 && statuses.includes(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${runId}: still ${res.body?.status ?? res.status}, wanted ${statuses.join('|')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const calls = (model: string) => simulator.stats().models[model]?.calls ?? 0;

/** Exact sum of decimal strings (12 decimals at most, as stored). */
function sumUsd(values: Array<string | null>): string {
  const scale = 10n ** 12n;
  let total = 0n;
  for (const value of values) {
    if (value === null) continue;
    const [whole, fraction = ''] = value.split('.');
    total += BigInt(whole!) * scale + BigInt(fraction.padEnd(12, '0'));
  }
  const fraction = (total % scale).toString().padStart(12, '0').replace(/0+$/, '');
  return `${total / scale}${fraction ? `.${fraction}` : ''}`;
}

describe('runs through the API', () => {
  it('starts a run, streams it live to completion, and the totals equal the stored spans and the provider usage', async () => {
    const models: [string, string, string] = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'];
    const workflowId = await createWorkflow(llmChain(models, 'streamed'));
    const runId = await startRun(workflowId, { input_vars: { topic: 'observability' } });

    // Visible at once, before any span is stored.
    const early = await api.get(`/api/runs/${runId}`);
    expect(early.status).toBe(200);
    expect(['queued', 'running']).toContain(early.body.status);

    const stream = await SseTestClient.connect(`${stack.baseUrl}/api/runs/${runId}/stream`);
    expect(stream.status).toBe(200);
    await stream.waitFor((c) => c.traceEvents().some((e) => e.kind === 'run.status'), 20_000, 'the run.status event');
    const events = stream.traceEvents();
    stream.close();
    const end = events.find((e) => e.kind === 'run.status')!;
    expect(end.payload).toMatchObject({ status: 'succeeded', workflow_id: workflowId });
    // Steps arrived before the run ended, in order.
    const stepLogs = events.filter((e) => e.kind === 'log' && e.payload.source === 'step');
    expect(stepLogs.map((e) => e.payload.node_id)).toEqual(['a', 'b', 'c']);

    const responses = events.filter((e: TraceEvent) => e.kind === 'llm.response');
    expect(responses.map((e) => e.payload.model)).toEqual(models);
    const streamed = {
      input: responses.reduce((n, e) => n + Number(e.payload.input_tokens), 0),
      output: responses.reduce((n, e) => n + Number(e.payload.output_tokens), 0),
      cost: sumUsd(responses.map((e) => e.payload.cost_usd as string | null)),
    };

    const detail = await waitForStatus(runId, ['succeeded']);
    expect(detail.totals).toMatchObject({
      steps: 3,
      llm_calls: 3,
      input_tokens: streamed.input,
      output_tokens: streamed.output,
      cost_usd: streamed.cost,
    });
    // The provider's own accounting, independent of FlowTrace.
    const usage = models.map((m) => simulator.stats().models[m]!.usage);
    expect(streamed.input).toBe(usage.reduce((n, u) => n + u.inputTokens, 0));
    expect(streamed.output).toBe(usage.reduce((n, u) => n + u.outputTokens, 0));
    expect(Number(streamed.cost)).toBeGreaterThan(0);

    expect(() => RunDetailSchema.parse(detail)).not.toThrow();
    expect(detail.scheduled).toMatchObject({ run_id: runId, status: 'succeeded', workflow_version: 1 });
    const record = await api.get(`/api/workflows/${workflowId}/runs/${runId}`);
    expect(record.body).toEqual(detail.scheduled);

    const listed = await api.get(`/api/workflows/${workflowId}/runs`);
    expect(listed.body.runs).toEqual([
      expect.objectContaining({ run_id: runId, workflow_version: 1, status: 'succeeded', started_at: expect.any(String), finished_at: expect.any(String) }),
    ]);
  });

  it('keeps the runs of a deleted workflow readable', async () => {
    const workflowId = await createWorkflow(llmChain(['del-a', 'del-b', 'del-c'], 'deleted later'));
    const runId = await startRun(workflowId);
    const finished = await api.get(`/api/workflows/${workflowId}/runs/${runId}?wait=20000`);
    expect(finished.body.status).toBe('succeeded');
    const before = await waitForSpans(runId);
    expect((await api.delete(`/api/workflows/${workflowId}`)).status).toBe(200);

    expect((await api.get(`/api/runs/${runId}`)).body).toEqual({ ...before, elapsed_ms: expect.any(Number) });
    expect((await api.get(`/api/workflows/${workflowId}/runs`)).body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([runId]);
    const version = await api.get(`/api/workflows/${workflowId}?version=${before.scheduled.workflow_version}`);
    expect(version.body).toMatchObject({ version: 1, deleted_at: expect.any(String) });
    expect((await api.post(`/api/workflows/${workflowId}/runs`, {})).status).toBe(410);
  });

  it('starts no second run for a retried request with the same Idempotency-Key', async () => {
    const models: [string, string, string] = ['idem-a', 'idem-b', 'idem-c'];
    const workflowId = await createWorkflow(llmChain(models, 'idempotent'));
    const body = { input_vars: { topic: 'retries' } };
    const headers = { 'Idempotency-Key': `key-${workflowId}` };
    const answers = await Promise.all(Array.from({ length: 5 }, () => api.post(`/api/workflows/${workflowId}/runs`, body, headers)));
    const runIds = new Set(answers.map((a) => a.body.runId));
    expect(runIds.size).toBe(1);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(answers.filter((a) => a.status === 200).every((a) => a.headers.get('idempotent-replayed') === 'true')).toBe(true);
    const [runId] = runIds;
    await waitForStatus(runId!, ['succeeded']);

    const retry = await api.post(`/api/workflows/${workflowId}/runs`, body, headers);
    expect(retry).toMatchObject({ status: 200, body: { runId, status: 'succeeded' } });
    const misuse = await api.post(`/api/workflows/${workflowId}/runs`, { input_vars: { topic: 'other' } }, headers);
    expect(misuse.status).toBe(422);
    expect(misuse.body.error).toBe(`Idempotency-Key "key-${workflowId}" was already used for a different request (another workflow, version or input_vars)`);

    expect(models.map(calls)).toEqual([1, 1, 1]);
    expect((await api.get(`/api/workflows/${workflowId}/runs`)).body.runs).toHaveLength(1);
  });

  it('cancels a running run: status canceled, reason cancelled, no further provider calls', async () => {
    const models: [string, string, string] = ['slow-cancel-a', 'slow-cancel-b', 'slow-cancel-c'];
    const workflowId = await createWorkflow(llmChain(models, 'cancelled'));
    const runId = await startRun(workflowId);
    // Mid-run: the first call answered, the second in flight.
    const deadline = Date.now() + 10_000;
    while (calls(models[1]) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls(models[1])).toBe(1);

    const cancel = await api.post(`/api/runs/${runId}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.run_id).toBe(runId);
    const callsAtCancel = simulator.stats().calls;

    const ended = await waitForStatus(runId, ['canceled', 'failed', 'succeeded']);
    expect(ended).toMatchObject({ status: 'canceled', failure_reason: 'cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 3 * SLOW_MS));
    expect(simulator.stats().calls).toBe(callsAtCancel);
    expect(calls(models[2])).toBe(0);

    // The stored run says so too, once its spans are in.
    const stored = await waitForSpans(runId);
    expect(stored).toMatchObject({ status: 'canceled', failure_reason: 'cancelled' });
    const again = await api.post(`/api/runs/${runId}/cancel`);
    expect(again).toMatchObject({ status: 409, body: { error: `run "${runId}" already finished (canceled)` } });
  });

  it('answers 429 with Retry-After when the queue is full, and cancels queued runs before they start', async () => {
    const workflowId = await createWorkflow(llmChain(['slow-q-a', 'slow-q-b', 'slow-q-c'], 'queued'));
    const admitted = [];
    for (let i = 0; i < CONCURRENCY + MAX_QUEUED; i++) admitted.push(await startRun(workflowId));
    const full = await api.post(`/api/workflows/${workflowId}/runs`, {});
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(full.body.error).toMatch(new RegExp(`^the run queue is full \\(${MAX_QUEUED} runs waiting\\); retry after \\d+ s$`));

    const queued = admitted[admitted.length - 1]!;
    expect((await api.get(`/api/runs/${queued}`)).body.status).toBe('queued');
    const cancelQueued = await api.post(`/api/runs/${queued}/cancel`);
    expect(cancelQueued).toMatchObject({ status: 202, body: { status: 'canceled', failure_reason: 'cancelled', started_at: null } });
    expect((await api.get(`/api/runs/${queued}`)).body).toMatchObject({ status: 'canceled', failure_reason: 'cancelled' });

    // A freed place takes a new run.
    admitted.push(await startRun(workflowId));
    for (const runId of admitted) await api.post(`/api/runs/${runId}/cancel`);
    for (const runId of admitted) await waitForStatus(runId, ['canceled']);
    expect((await api.get('/api/workflows')).status).toBe(200);
  });
});

/** The run detail once the run span is stored (the detail then comes from spans). */
/**
 * The run as the API reads it once its run span is stored. The API reads run_totals, which
 * a materialized view fills from span_facts' insert: wait for what the API sees, not for
 * span_facts alone (the two tables' parts are committed one after the other).
 */
async function waitForSpans(runId: string): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await stack.store.query(`SELECT count() AS n FROM span_facts WHERE RunId = '${runId}' AND Role = 'run'`);
    if (rows.includes('"n":1') || rows.includes('"n":"1"')) {
      const run = (await api.get(`/api/runs/${runId}`)).body;
      if (run.run_name !== '') return run;
    }
    if (Date.now() > deadline) throw new Error(`the run span of ${runId} was not stored`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
