// The workflow service as `flowtrace up` serves it: on the API port with the read API, the
// demo workflows present on first start, a run's spans through the pipeline's own receiver.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { ProviderSimulator } from '../executor/simulator/index.ts';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../pipeline/embedded.ts';
import { apiClient, type ApiClient } from './test-support/http.ts';

const home = mkdtempSync(join(tmpdir(), 'flowtrace-up-workflows-'));
const simulator = new ProviderSimulator();
let pipeline: EmbeddedPipeline;
let api: ApiClient;
const saved = { ...process.env };

beforeAll(async () => {
  const address = await simulator.start();
  // Providers come from the environment, as for `flowtrace run`.
  Object.assign(process.env, {
    OPENAI_BASE_URL: address.openaiBaseUrl,
    OPENAI_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: address.anthropicBaseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test',
  });
  pipeline = await startEmbeddedPipeline(loadConfig({ env: {}, overrides: { home, otlpHttp: { port: 0 }, api: { port: 0 }, clickhouseHttp: { enabled: false } } }));
  api = apiClient(pipeline.endpoints.api);
});
afterAll(async () => {
  await pipeline?.stop();
  await simulator.stop();
  process.env = saved;
  rmSync(home, { recursive: true, force: true });
});

describe('flowtrace up', () => {
  it('serves the demo workflows and runs one through its own pipeline', async () => {
    const ids = (await api.get('/api/workflows')).body.workflows.map((w: { id: string }) => w.id).sort();
    expect(ids).toEqual(['csv-analysis-writeup', 'research-summarize-decide-deep']);

    const started = await api.post('/api/workflows/csv-analysis-writeup/runs', {});
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    const record = await api.get(`/api/workflows/csv-analysis-writeup/runs/${runId}?wait=30000`);
    expect(record.body).toMatchObject({ status: 'succeeded', workflow_version: 1 });

    // The run's spans arrive through the embedded receiver: the stored run has the demo's six
    // steps, and its run span (ended last, so stored last) names the workflow.
    const deadline = Date.now() + 20_000;
    let detail = (await api.get(`/api/runs/${runId}`)).body;
    while (detail.trace_id === '' || detail.totals.steps < 6 || detail.workflow_id === '') {
      if (Date.now() > deadline) throw new Error(`run ${runId} not stored: ${JSON.stringify(detail)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      detail = (await api.get(`/api/runs/${runId}`)).body;
    }
    expect(detail).toMatchObject({ status: 'succeeded', workflow_id: 'csv-analysis-writeup', totals: { steps: 6, llm_calls: 2 } });
    expect(simulator.stats().models['gpt-4o-mini']?.calls).toBe(2);
  });
});
