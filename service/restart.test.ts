import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderSimulator } from '../executor/simulator/index.ts';
import type { ProvidersConfig } from '../executor/providers/index.ts';
import { startServiceChild, type ServiceChild } from './test-support/child.ts';
import { apiClient, type ApiClient } from './test-support/http.ts';
import type { ServiceStackOptions } from './test-support/stack.ts';
import { llmChain } from './test-support/workflows.ts';

const SLOW_MS = 700;
const simulator = new ProviderSimulator();
let providers: ProvidersConfig;
let home: string;
let child: ServiceChild | undefined;

beforeAll(async () => {
  const address = await simulator.start();
  providers = { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test' } };
});
afterAll(() => simulator.stop());
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'flowtrace-restart-'));
  simulator.configure({ latency: { models: { 'slow-*': { fixedMs: SLOW_MS } } } });
  simulator.reset();
});
afterEach(async () => {
  await child?.process.kill();
  child = undefined;
  rmSync(home, { recursive: true, force: true });
});

async function start(service: ServiceStackOptions['service'] = {}): Promise<ApiClient> {
  child = await startServiceChild({ home, providers, service });
  return apiClient(child.baseUrl);
}

const calls = (model: string) => simulator.stats().models[model]?.calls ?? 0;

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the run detail comes from the stored run span with a final status. */
async function storedRun(api: ApiClient, runId: string): Promise<any> {
  let detail: any;
  await until(async () => {
    detail = (await api.get(`/api/runs/${runId}`)).body;
    return detail?.trace_id !== '' && ['succeeded', 'failed', 'canceled'].includes(detail?.status) && detail?.run_name !== '';
  }, `run ${runId} to be stored as finished`);
  return detail;
}

describe('runs survive the service', () => {
  it('resumes a run from its checkpoint after the service is killed, without repeating finished LLM calls', async () => {
    // b takes long enough to kill the service surely while b is in flight.
    simulator.configure({ latency: { models: { 'slow-*': { fixedMs: SLOW_MS }, 'slow-kill-b': { fixedMs: 5_000 } } } });
    let api = await start();
    const models: [string, string, string] = ['slow-kill-a', 'slow-kill-b', 'slow-kill-c'];
    const workflowId = (await api.post('/api/workflows', { name: 'killed', graph_json: llmChain(models, 'killed') })).body.id;
    const key = { 'Idempotency-Key': 'kill-test-run' };
    const started = await api.post(`/api/workflows/${workflowId}/runs`, {}, key);
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;

    // Kill it while b is in flight: a's answer is checkpointed (and its spans exported), b's is not.
    await until(() => calls(models[1]) === 1, 'the second call');
    await until(async () => (await api.get(`/api/runs/${runId}`)).body.totals.steps === 1, "the first step's spans to be stored");
    expect(calls(models[1])).toBe(1);
    await child!.process.kill();
    expect(calls(models[0])).toBe(1);

    api = await start();
    const replay = await api.post(`/api/workflows/${workflowId}/runs`, {}, key);
    expect(replay).toMatchObject({ status: 200, body: { runId } });

    const detail = await storedRun(api, runId);
    expect(detail).toMatchObject({ status: 'succeeded', scheduled: { status: 'succeeded' } });
    expect(models.map(calls)).toEqual([1, 2, 1]);
    expect(detail.totals).toMatchObject({ steps: 3, llm_calls: 3, error_spans: 0 });
    const runs = (await api.get(`/api/workflows/${workflowId}/runs`)).body.runs;
    expect(runs.map((r: { run_id: string }) => r.run_id)).toEqual([runId]);
    // The demo workflows were added once, on the first start.
    const ids = (await api.get('/api/workflows?limit=500')).body.workflows.map((w: { id: string }) => w.id);
    expect(ids.filter((id: string) => id === 'research-summarize-decide-deep')).toHaveLength(1);
  });

  it('on shutdown checkpoints running runs, keeps queued ones, and continues both at the next start', async () => {
    simulator.configure({ latency: { models: { 'slow-*': { fixedMs: SLOW_MS }, 'slow-term-b': { fixedMs: 3_000 } } } });
    let api = await start({ concurrency: 1, shutdownGraceMs: 100 });
    const models: [string, string, string] = ['slow-term-a', 'slow-term-b', 'slow-term-c'];
    const workflowId = (await api.post('/api/workflows', { name: 'stopped', graph_json: llmChain(models, 'stopped') })).body.id;
    const running = (await api.post(`/api/workflows/${workflowId}/runs`, {})).body.runId as string;
    const queued = (await api.post(`/api/workflows/${workflowId}/runs`, { input_vars: { topic: 'queues' } })).body.runId as string;
    expect((await api.get(`/api/runs/${queued}`)).body.status).toBe('queued');

    await until(() => calls(models[1]) === 1, 'the second call of the first run');
    const exit = await child!.process.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(calls(models[0])).toBe(1);

    api = await start({ concurrency: 1, shutdownGraceMs: 100 });
    const first = await storedRun(api, running);
    const second = await storedRun(api, queued);
    // The interruption left no trace: no cancelled run span, no failed step.
    expect(first).toMatchObject({ status: 'succeeded', failure_reason: '', totals: { steps: 3, llm_calls: 3, error_spans: 0 } });
    expect(second).toMatchObject({ status: 'succeeded', totals: { steps: 3, llm_calls: 3, error_spans: 0 } });
    // First run: a once, b twice (interrupted, then again), c once; the second run once each.
    expect(models.map(calls)).toEqual([2, 3, 2]);
  });
});
