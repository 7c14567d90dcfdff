// The live page with the workflow service in a real browser (Debian's chromium through
// playwright-core): run a demo workflow from its inputs form, watch its steps arrive live,
// cancel a second run from the workflow list.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderSimulator } from '../executor/simulator/index.ts';
import { apiClient, type ApiClient } from './test-support/http.ts';
import { startServiceStack, type ServiceStack } from './test-support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test/artifacts/', import.meta.url));
const CALL_MS = 1_200;

describe.skipIf(!existsSync(CHROMIUM))('live page with workflows', () => {
  const home = mkdtempSync(join(tmpdir(), 'flowtrace-page-'));
  const simulator = new ProviderSimulator({ latency: { default: { fixedMs: CALL_MS, perTokenMs: 0 } } });
  let stack: ServiceStack;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const address = await simulator.start();
    stack = await startServiceStack({
      home,
      providers: { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test' } },
    });
    api = apiClient(stack.baseUrl);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await simulator.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('runs a demo workflow from its inputs form and shows its steps as they happen', async () => {
    await page.goto(stack.baseUrl);
    const research = page.locator('li.workflow[data-workflow-id="research-summarize-decide-deep"]');
    await research.waitFor();
    expect(await page.locator('#workflows').isVisible()).toBe(true);

    await research.locator('button.run').click();
    const form = research.locator('form.run-form');
    // The form is built from the workflow's declared inputs, filled with their defaults.
    expect(await form.locator('textarea').evaluateAll((fields) => fields.map((f) => (f as HTMLTextAreaElement).name))).toEqual(['topic', 'notes']);
    expect(await form.locator('textarea[name="topic"]').inputValue()).toBe('OpenTelemetry semantic conventions for LLM agent workflows');
    await form.locator('textarea[name="topic"]').fill('browser-driven runs');
    await form.locator('button[type="submit"]').click();

    // The page switches to the new run's live view.
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    const runId = decodeURIComponent(new URL(page.url()).hash.slice('#/runs/'.length));
    await page.locator(`#run-view[data-run-id="${runId}"]`).waitFor();
    // Steps arrive while the run is still going: the first ones are shown before the run ends.
    await page.locator('#timeline li.step[data-node-id="research"]').waitFor();
    await page.locator('#timeline li.step[data-node-id="summarize"]').waitFor();
    const statusWhileSummarizing = (await api.get(`/api/runs/${runId}`)).body.status;
    await page.locator('#run-view[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    expect(['running', 'succeeded']).toContain(statusWhileSummarizing);
    const nodes = await page.locator('#timeline li.step').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.nodeId));
    expect(nodes).toEqual(['research', 'summarize', 'decide', 'shallow']);

    const detail = (await api.get(`/api/runs/${runId}`)).body;
    expect(detail).toMatchObject({ status: 'succeeded', workflow_id: 'research-summarize-decide-deep', totals: { steps: 4, llm_calls: 1 } });
    await page.locator(`#run-totals [data-total="total_tokens"][data-value="${detail.totals.total_tokens}"]`).waitFor();
    // The run is in the workflow's run list.
    await research.locator(`.workflow-runs li[data-run-id="${runId}"][data-status="succeeded"]`).waitFor();
  });

  it('cancels a second run from the workflow list', async () => {
    // Slow enough calls that the run is surely cancelled during its analysis call.
    simulator.configure({ latency: { default: { fixedMs: 4 * CALL_MS, perTokenMs: 0 } } });
    const csv = page.locator('li.workflow[data-workflow-id="csv-analysis-writeup"]');
    const previous = page.url();
    await csv.locator('button.run').click();
    await csv.locator('form.run-form button[type="submit"]').click();
    await page.waitForURL((url) => url.toString() !== previous && /#\/runs\/[0-9a-f-]{36}$/.test(url.hash));
    const runId = decodeURIComponent(new URL(page.url()).hash.slice('#/runs/'.length));
    await page.locator(`#run-view[data-run-id="${runId}"]`).waitFor();
    // Cancel while the analysis call is in flight (its tool steps are done by then).
    await page.locator('#timeline li.step[data-node-id="stats"]').waitFor();
    expect(await page.locator('#timeline li.step[data-node-id="analysis"]').count()).toBe(0);
    const entry = csv.locator(`.workflow-runs li[data-run-id="${runId}"]`);
    await entry.locator('button.cancel').click();
    const callsAtCancel = simulator.stats().calls;

    await page.locator(`#run-view[data-run-id="${runId}"][data-status="canceled"]`).waitFor({ timeout: 30_000 });
    await csv.locator(`.workflow-runs li[data-run-id="${runId}"][data-status="canceled"]`).waitFor();
    expect(await entry.locator('button.cancel').count()).toBe(0);
    const detail = (await api.get(`/api/runs/${runId}`)).body;
    expect(detail).toMatchObject({ status: 'canceled', failure_reason: 'cancelled' });
    expect((await api.get(`/api/workflows/csv-analysis-writeup/runs/${runId}`)).body.status).toBe('canceled');
    // No provider call after the cancel: the write-up never ran (the first run made one call, this one at most the analysis).
    await new Promise((resolve) => setTimeout(resolve, 5 * CALL_MS));
    expect(simulator.stats().calls).toBe(callsAtCancel);
    expect(callsAtCancel).toBeLessThanOrEqual(2);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'workflow-service-page.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
