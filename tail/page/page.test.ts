// The live page in a real browser (Debian's chromium through playwright-core): run list,
// live timeline over SSE, run totals, step detail, empty and error states.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTailHarness, type TailHarness } from '../test-support/harness.ts';
import { RunRecords, batchesOf } from '../test-support/run-records.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const T0 = Date.parse('2026-03-02T09:00:00Z');

describe.skipIf(!existsSync(CHROMIUM))('live page', () => {
  let h: TailHarness;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    h = await startTailHarness();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows the empty state before any run exists', async () => {
    await page.goto(h.baseUrl);
    await page.locator('#runs-empty').waitFor({ state: 'visible' });
    expect(await page.locator('#run-empty').isVisible()).toBe(true);
    expect(await page.locator('#workflows').isHidden()).toBe(true);
  });

  it('follows a run live: steps, attempts, retries, fallbacks, cache hits and totals', async () => {
    const records = new RunRecords({ runId: 'run-page', workflowId: 'triage', startMs: T0, capture: true })
      .llmStep('classify', 'classification', [
        { provider: 'openai', model: 'gpt-4o-mini', ms: 300, fail: { errorType: 'RateLimitError', httpStatus: 429, message: 'rate limited' } },
        { provider: 'openai', model: 'gpt-4o-mini', ms: 400, input: 800, output: 12 },
      ])
      .toolStep('search', 'web_search', 200)
      .llmStep('answer', 'answer', [
        { provider: 'openai', model: 'gpt-4o', ms: 500, fail: { errorType: 'APITimeoutError', message: 'request timed out' } },
        { provider: 'anthropic', model: 'claude-sonnet-4-5', ms: 900, input: 2000, output: 300, fallbackFrom: 'openai/gpt-4o' },
      ])
      .cachedStep('polish', 'rewrite', { input: 100, output: 50, costUsd: '0.0012' })
      .finish();
    const batches = batchesOf(records, 3);
    await h.ingest(batches[0]!);

    await page.locator('#runs-list tr[data-run-id="run-page"]').click();
    await page.locator('#live-indicator[data-state="live"]').waitFor();
    await page.locator('#timeline li.step[data-node-id="classify"]').waitFor();
    for (const batch of batches.slice(1)) await h.ingest(batch);

    await page.locator('#run-view[data-status="succeeded"]').waitFor();
    const steps = page.locator('#timeline li.step');
    expect(await steps.evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.nodeId))).toEqual(['classify', 'search', 'answer', 'polish']);
    const classify = page.locator('li.step[data-node-id="classify"]');
    expect(await classify.locator('.attempt').evaluateAll((a) => a.map((i) => (i as HTMLElement).dataset.status))).toEqual(['error', 'ok']);
    expect(await classify.locator('.badge.retry').getAttribute('data-count')).toBe('1');
    expect(await page.locator('li.step[data-node-id="answer"] .badge.fallback').textContent()).toContain('openai/gpt-4o → anthropic/claude-sonnet-4-5');
    expect(await page.locator('li.step[data-node-id="polish"]').getAttribute('data-cache-hit')).toBe('true');

    // Totals shown are the stored run's.
    const run = (await h.json<{ totals: Record<string, unknown> }>('/api/runs/run-page')).body;
    await page.locator(`#run-totals [data-total="cost_usd"][data-value="${run.totals.cost_usd}"]`).waitFor();
    expect(await page.locator('#run-totals [data-total="total_tokens"]').getAttribute('data-value')).toBe(String(run.totals.total_tokens));
    expect(await page.locator('#run-totals [data-total="retries"]').getAttribute('data-value')).toBe(String(run.totals.retries));
    expect(await page.locator('#run-totals [data-total="cache_hits"]').getAttribute('data-value')).toBe('1');
    // Step cost equals the sum of its attempts.
    expect(await page.locator('li.step[data-node-id="answer"] [data-field="cost"]').getAttribute('data-value')).toBe(await stepCost('answer'));

    // Step detail: captured content, tokens, attributes.
    await classify.click();
    await page.locator('#step-detail[data-state="ready"]').waitFor();
    expect(await page.locator('#detail-content [data-field="tokens"]').textContent()).toBe('800 / 12');
    expect(await page.locator('#detail-content [data-content="gen_ai.input.messages"] pre').first().textContent()).toContain('classify prompt 1');
    expect(await page.locator('#detail-content [data-attribute="flowtrace.node.id"]').first().textContent()).toContain('classify');
    expect(pageErrors).toEqual([]);
  });

  it('shows an error state when the API refuses', async () => {
    await page.route('**/api/runs?*', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal error"}' }));
    await page.goto(`${h.baseUrl}/#/`);
    await page.locator('#runs-error').waitFor({ state: 'visible' });
    expect(await page.locator('#runs-error').textContent()).toContain('internal error');
    await page.unroute('**/api/runs?*');
  });

  async function stepCost(nodeId: string): Promise<string> {
    const trace = (await h.json<{ steps: Array<{ node_id: string; totals: { cost_usd: string } }> }>('/api/runs/run-page/trace')).body;
    return trace.steps.find((s) => s.node_id === nodeId)!.totals.cost_usd;
  }
});
