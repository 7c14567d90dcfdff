// The read API against the real engine. Expected numbers are computed here from the
// enriched spans the pipeline stored, independently of the API's SQL.
import { networkInterfaces } from 'node:os';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrichedSpan } from '../../core/span.ts';
import { sumUsd } from '../../processors/cost/index.ts';
import { createTailServer } from '../server.ts';
import { readRun } from './run-queries.ts';
import { readTrace, type StepCursor, type TracePage } from './trace-query.ts';
import { startTailHarness, type TailHarness } from '../test-support/harness.ts';
import { supportRun } from '../test-support/expected-events.ts';
import { RunRecords } from '../test-support/run-records.ts';
import { SseTestClient } from '../test-support/sse-client.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const MINUTE = 60_000;
const GLOBEX_KEY = 'globex-key-0123456789abcdef';
const ACME_KEY = 'acme-key-0123456789abcdef';

const OVERLOADED = { errorType: 'OverloadedError', httpStatus: 529, message: 'overloaded' };

/** The dataset: runs of two services and workflows, every outcome, and a run of another project. */
function dataset() {
  return {
    'run-a': supportRun('run-a', T0),
    'run-b': new RunRecords({ runId: 'run-b', workflowId: 'triage', startMs: T0 + 10 * MINUTE })
      .llmStep('classify', 'classification', [
        { provider: 'anthropic', model: 'claude-sonnet-4-5', ms: 300, fail: OVERLOADED },
        { provider: 'anthropic', model: 'claude-sonnet-4-5', ms: 320, fail: OVERLOADED },
      ])
      .finish(OVERLOADED),
    'run-c': new RunRecords({ runId: 'run-c', workflowId: 'summarize', startMs: T0 + 20 * MINUTE, serviceName: 'research-agent' })
      .toolStep('fetch', 'http_get', 150, { errorType: 'tool_error', message: 'HTTP 500 from upstream' })
      .finish({ errorType: 'tool_error', message: 'HTTP 500 from upstream' }),
    'run-d': new RunRecords({ runId: 'run-d', workflowId: 'summarize', startMs: T0 + 30 * MINUTE, serviceName: 'research-agent' })
      .toolStep('fetch', 'http_get', 150)
      .llmStep('summarize', 'summarization', [{ provider: 'openai', model: 'gpt-4o', ms: 2400, input: 52_000, output: 6100, cacheRead: 20_000 }])
      .finish(),
    'run-e': new RunRecords({ runId: 'run-e', workflowId: 'triage', startMs: T0 + 40 * MINUTE })
      .llmStep('classify', 'classification', [{ provider: 'openai', model: 'gpt-4o-mini', ms: 380, input: 790, output: 11 }])
      .inFlight(),
    'run-f': new RunRecords({ runId: 'run-f', workflowId: 'research', startMs: T0 + 50 * MINUTE, projectId: 'globex', serviceName: 'research-agent' })
      .llmStep('plan', 'planning', [{ provider: 'anthropic', model: 'claude-sonnet-4-5', ms: 1800, input: 3000, output: 450 }])
      .finish(),
  };
}

type RunId = keyof ReturnType<typeof dataset>;
const DEFAULT_RUNS: RunId[] = ['run-a', 'run-b', 'run-c', 'run-d', 'run-e'];

/** Run totals from the enriched spans (inference spans only are billed). */
function expectedTotals(spans: EnrichedSpan[]) {
  const calls = spans.filter((s) => s.genai.isInference);
  const saved = spans.flatMap((s) => (s.cost?.savedUsd ? [s.cost.savedUsd] : []));
  // A switch to a fallback target is a fallback; the other attempts after a step's first are retries.
  const switches = new Set(calls.filter((s) => s.run.fallbackFrom !== '').map((s) => `${s.run.stepId} ${s.run.fallbackFrom}`)).size;
  return {
    steps: spans.filter((s) => s.run.role === 'step').length,
    llm_calls: calls.length,
    tool_calls: spans.filter((s) => s.run.role === 'tool').length,
    fallbacks: switches,
    retries: calls.filter((s) => s.run.attempt > 1).length - switches,
    cache_hits: spans.filter((s) => s.run.cacheHit && s.run.role === 'step').length,
    error_spans: spans.filter((s) => s.statusCode === 'Error').length,
    input_tokens: calls.reduce((n, s) => n + (s.genai.usage?.input ?? 0), 0),
    output_tokens: calls.reduce((n, s) => n + (s.genai.usage?.output ?? 0), 0),
    cost_usd: sumUsd(calls.flatMap((s) => (s.cost?.usd ? [s.cost.usd] : []))),
    saved_cost_usd: saved.length === 0 ? null : sumUsd(saved),
  };
}

describe('read API', () => {
  let h: TailHarness;
  const stored = new Map<RunId, EnrichedSpan[]>();
  const get = <T = any>(path: string, headers: Record<string, string> = {}) => h.json<T>(path, { headers });

  beforeAll(async () => {
    h = await startTailHarness({ apiKeys: [{ key: GLOBEX_KEY, projectId: 'globex' }, { key: ACME_KEY, projectId: 'default' }] });
    for (const [runId, records] of Object.entries(dataset())) stored.set(runId as RunId, await h.ingest(records));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists runs newest first with totals equal to the stored spans', async () => {
    const { status, body } = await get('/api/runs');
    expect(status).toBe(200);
    expect(body.runs.map((r: any) => r.run_id)).toEqual([...DEFAULT_RUNS].reverse());
    expect(body.next_cursor).toBeNull();
    const byId = new Map(body.runs.map((r: any) => [r.run_id, r]));
    for (const runId of DEFAULT_RUNS) expect((byId.get(runId) as any).totals).toMatchObject(expectedTotals(stored.get(runId)!));
    expect(body.runs.map((r: any) => [r.run_id, r.status])).toEqual([
      ['run-e', 'running'],
      ['run-d', 'succeeded'],
      ['run-c', 'failed'],
      ['run-b', 'failed'],
      ['run-a', 'succeeded'],
    ]);
    expect(byId.get('run-c')).toMatchObject({ failure_class: 'tool', failure_reason: 'tool_error', service_name: 'research-agent' });
  });

  it('filters runs', async () => {
    const ids = async (query: string) => (await get(`/api/runs?${query}`)).body.runs.map((r: any) => r.run_id).sort();
    expect(await ids('status=failed')).toEqual(['run-b', 'run-c']);
    expect(await ids('status=running,succeeded')).toEqual(['run-a', 'run-d', 'run-e']);
    expect(await ids('workflow=summarize')).toEqual(['run-c', 'run-d']);
    expect(await ids('service=research-agent')).toEqual(['run-c', 'run-d']);
    expect(await ids('model=gpt-4o')).toEqual(['run-a', 'run-d']);
    expect(await ids('model=claude-sonnet-4-5,gpt-4o-mini')).toEqual(['run-a', 'run-b', 'run-e']);
    expect(await ids('failure_class=tool')).toEqual(['run-c']);
    expect(await ids('failure_class=model')).toEqual(['run-a', 'run-b']);
    expect(await ids(`from=${new Date(T0 + 10 * MINUTE).toISOString()}&to=${new Date(T0 + 30 * MINUTE).toISOString()}`)).toEqual(['run-b', 'run-c']);
    // min_cost against costs computed from the spans.
    const costs = DEFAULT_RUNS.map((id) => [id, Number(expectedTotals(stored.get(id)!).cost_usd)] as const);
    const threshold = expectedTotals(stored.get('run-a')!).cost_usd;
    expect(await ids(`min_cost=${threshold}`)).toEqual(costs.filter(([, c]) => c >= Number(threshold)).map(([id]) => id).sort());
    expect(await ids('status=failed&workflow=triage')).toEqual(['run-b']);
  });

  it('pages runs with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body }: { body: any } = await get(`/api/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(body.runs.length).toBeLessThanOrEqual(2);
      seen.push(...body.runs.map((r: any) => r.run_id));
      cursor = body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([...DEFAULT_RUNS].reverse());
  });

  it('shows one run with its totals and elapsed time', async () => {
    const { status, body } = await get('/api/runs/run-a');
    expect(status).toBe(200);
    expect(body).toMatchObject({ run_id: 'run-a', status: 'succeeded', workflow_id: 'triage', totals: expectedTotals(stored.get('run-a')!) });
    expect(body.elapsed_ms).toBe(body.duration_ms);
    const running = (await get('/api/runs/run-e')).body;
    expect(running.status).toBe('running');
    expect(running.elapsed_ms).toBeGreaterThan(Date.now() - (T0 + 40 * MINUTE) - 60_000);
  });

  it('returns the step tree with attempts, retries, fallbacks and cache hits', async () => {
    const { status, body } = await get('/api/runs/run-a/trace');
    expect(status).toBe(200);
    expect(body.next_cursor).toBeNull();
    expect(body.steps.map((s: any) => s.node_id)).toEqual(['classify', 'search', 'answer', 'decide', 'polish']);
    const [classify, search, answer, decide, polish] = body.steps;
    expect(classify.children.map((c: any) => [c.kind, c.attempt, c.status])).toEqual([
      ['llm', 1, 'error'],
      ['llm', 2, 'ok'],
    ]);
    expect(classify.children[0]).toMatchObject({ failure_class: 'model', failure_reason: 'rate_limit' });
    expect(classify.events.map((e: any) => e.name)).toEqual(['flowtrace.retry']);
    expect(classify.totals).toMatchObject({ attempts: 2, retries: 1, fallbacks: 0, input_tokens: 800, output_tokens: 12 });
    expect(search.children).toMatchObject([{ kind: 'tool', name: 'execute_tool web_search', attributes: { 'gen_ai.tool.name': 'web_search' } }]);
    expect(answer.totals).toMatchObject({ attempts: 2, fallbacks: 1 });
    expect(answer.children[1]).toMatchObject({ provider: 'anthropic', fallback_from: 'openai/gpt-4o', input_tokens: 2000 });
    expect(decide).toMatchObject({ node_type: 'router', router_branch: 'deep' });
    expect(polish).toMatchObject({ cache_hit: true, children: [] });
    expect(polish.saved_cost_usd).not.toBeNull();
    expect(body.run_events.map((e: any) => e.name)).toEqual(['flowtrace.budget']);
    // Step totals add up to the run's.
    const spans = stored.get('run-a')!;
    for (const step of body.steps) {
      const calls = spans.filter((s) => s.genai.isInference && s.run.stepId === step.step_id);
      expect(step.totals.cost_usd).toBe(sumUsd(calls.flatMap((s) => (s.cost?.usd ? [s.cost.usd] : []))));
    }

    const paged: any[] = [];
    let cursor: string | null = null;
    do {
      const { body: page }: { body: any } = await get(`/api/runs/run-a/trace?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...page.steps);
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(paged).toEqual(body.steps);
  });

  it('reads a large run page by page with the same result as a run read whole', async () => {
    const run = (await readRun(h.store, 'default', 'run-a'))!;
    const walk = async (wholeRunSpans: number) => {
      const pages: TracePage[] = [];
      let after: StepCursor | undefined;
      do {
        const page = await readTrace(h.store, 'default', 'run-a', run.spans, 2, after, { wholeRunSpans });
        pages.push(page);
        after = page.next ?? undefined;
      } while (after !== undefined);
      return pages;
    };
    const whole = await walk(1000);
    expect(whole).toHaveLength(3);
    expect(whole[0]!.runEvents.map((e) => e.name)).toEqual(['flowtrace.budget']);
    expect(await walk(1)).toEqual(whole);
  });

  it('summarises analytics like seed 001, plus cache, fallback and waste', async () => {
    const range = `from=${new Date(T0 - MINUTE).toISOString()}&to=${new Date(T0 + 60 * MINUTE).toISOString()}`;
    const { status, body } = await get(`/api/analytics/summary?${range}`);
    expect(status).toBe(200);
    const spans = DEFAULT_RUNS.flatMap((id) => stored.get(id)!);
    const calls = spans.filter((s) => s.genai.isInference);
    const countBy = (pick: (s: EnrichedSpan) => string) =>
      calls.reduce<Record<string, number>>((acc, s) => ({ ...acc, [pick(s)]: (acc[pick(s)] ?? 0) + 1 }), {});
    const requests = new Set(calls.map((s) => s.parentSpanId));
    const fellBack = new Set(calls.filter((s) => s.run.fallbackFrom !== '').map((s) => s.parentSpanId));
    const hits = spans.filter((s) => s.run.cacheHit && s.run.role === 'step');
    expect(body.execution_analytics).toMatchObject({
      total_executions: 5,
      status_counts: { running: 1, succeeded: 2, failed: 2, canceled: 0 },
      success_rate: 0.5,
      // A running run's workflow is known once its run span is stored.
      workflow_counts: { triage: 2, summarize: 2, '(none)': 1 },
    });
    expect(body.llm_call_analytics).toMatchObject({
      total_calls: calls.length,
      provider_counts: countBy((s) => s.genai.provider),
      model_counts: countBy((s) => s.genai.requestModel),
      token_stats: {
        total_input_tokens: calls.reduce((n, s) => n + (s.genai.usage?.input ?? 0), 0),
        total_output_tokens: calls.reduce((n, s) => n + (s.genai.usage?.output ?? 0), 0),
        total_cost: sumUsd(calls.flatMap((s) => (s.cost?.usd ? [s.cost.usd] : []))),
      },
    });
    expect(body.cache_analytics).toEqual({
      cache_hits: hits.length,
      cache_hit_rate: hits.length / (hits.length + requests.size),
      cost_saved_usd: sumUsd(hits.flatMap((s) => (s.cost?.savedUsd ? [s.cost.savedUsd] : []))),
    });
    expect(body.fallback_rate).toBe(fellBack.size / requests.size);
    expect(body.failed_attempt_cost_usd).toBe(sumUsd(calls.filter((s) => s.statusCode === 'Error').flatMap((s) => (s.cost?.usd ? [s.cost.usd] : []))));
    const durations = DEFAULT_RUNS.filter((id) => id !== 'run-e').map((id) => {
      const run = stored.get(id)!.find((s) => s.run.role === 'run')!;
      return Number(run.endTimeUnixNano - run.startTimeUnixNano) / 1e6;
    });
    expect(body.execution_analytics.duration_stats).toMatchObject({ min_duration_ms: Math.min(...durations), max_duration_ms: Math.max(...durations) });
  });

  it('breaks failures down by class and reason, recovered vs terminal', async () => {
    const { body } = await get(`/api/analytics/failures?from=${new Date(T0 - MINUTE).toISOString()}&to=${new Date(T0 + 60 * MINUTE).toISOString()}`);
    // Root causes: failed spans none of whose children failed; recovered when the enclosing span succeeded.
    const spans = DEFAULT_RUNS.flatMap((id) => stored.get(id)!);
    const failedParents = new Set(spans.filter((s) => s.statusCode === 'Error').map((s) => s.parentSpanId));
    const roots = spans.filter((s) => s.statusCode === 'Error' && !failedParents.has(s.spanId));
    const outcome = (s: EnrichedSpan) => (spans.find((p) => p.spanId === s.parentSpanId)?.statusCode === 'Error' ? 'terminal' : 'recovered');
    const expected = new Map<string, { failures: number; recovered: number; terminal: number }>();
    for (const s of roots) {
      const key = `${s.failure!.failureClass}/${s.failure!.reason}`;
      const row = expected.get(key) ?? { failures: 0, recovered: 0, terminal: 0 };
      row.failures++;
      row[outcome(s)]++;
      expected.set(key, row);
    }
    expect(new Map(body.by_reason.map((r: any) => [`${r.failure_class}/${r.failure_reason}`, { failures: r.failures, recovered: r.recovered, terminal: r.terminal }]))).toEqual(expected);
    expect(body.totals).toEqual({ failures: roots.length, recovered: roots.filter((s) => outcome(s) === 'recovered').length, terminal: roots.filter((s) => outcome(s) === 'terminal').length, pending: 0 });
    expect(body.by_class.map((c: any) => c.failure_class).sort()).toEqual(['model', 'tool']);
  });

  it('breaks cost down by semantic label', async () => {
    const { body } = await get(`/api/analytics/cost-by-label?from=${new Date(T0 - MINUTE).toISOString()}&to=${new Date(T0 + 60 * MINUTE).toISOString()}`);
    const calls = DEFAULT_RUNS.flatMap((id) => stored.get(id)!).filter((s) => s.genai.isInference);
    const labels = [...new Set(calls.map((s) => s.run.semanticLabel))];
    for (const label of labels) {
      const mine = calls.filter((s) => s.run.semanticLabel === label);
      expect(body.labels.find((l: any) => l.semantic_label === label)).toMatchObject({
        calls: mine.length,
        input_tokens: mine.reduce((n, s) => n + (s.genai.usage?.input ?? 0), 0),
        cost_usd: sumUsd(mine.flatMap((s) => (s.cost?.usd ? [s.cost.usd] : []))),
      });
    }
    expect(body.labels.find((l: any) => l.semantic_label === 'rewrite')).toMatchObject({ calls: 0, cache_hits: 1 });
    const costs = body.labels.map((l: any) => Number(l.cost_usd));
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
  });

  it('answers 404 for unknown runs and 400 naming the malformed parameter', async () => {
    for (const [path, init] of [
      ['/api/runs/nope', {}],
      ['/api/runs/nope/trace', {}],
      ['/api/runs/nope', { method: 'DELETE' }],
    ] as const) {
      const res = await h.json(path, init);
      expect(res).toEqual({ status: 404, body: { error: 'run "nope" not found' } });
    }
    const cases: Array<[string, string]> = [
      ['/api/runs?from=yesterday', 'invalid parameter "from": expected an ISO-8601 time'],
      ['/api/runs?to=2026-13-45T00:00:00Z', 'invalid parameter "to": expected an ISO-8601 time'],
      ['/api/runs?from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z', 'invalid parameter "from": must be before "to"'],
      ['/api/runs?limit=0', 'invalid parameter "limit": expected an integer from 1 to 500'],
      ['/api/runs?limit=501', 'invalid parameter "limit": expected an integer from 1 to 500'],
      ['/api/runs?limit=ten', 'invalid parameter "limit": expected an integer from 1 to 500'],
      ['/api/runs?cursor=bm9wZQ', 'invalid parameter "cursor": malformed cursor: pass the next_cursor of a previous page unchanged'],
      ['/api/runs?status=done', 'invalid parameter "status": expected one or more of running, succeeded, failed, canceled (comma-separated)'],
      ['/api/runs?failure_class=network', 'invalid parameter "failure_class": expected one or more of model, tool, retrieval, orchestration (comma-separated)'],
      ['/api/runs?min_cost=-1', 'invalid parameter "min_cost": expected a non-negative decimal number (at most 12 decimals)'],
      ['/api/runs?status=failed&status=running', 'invalid parameter "status": expected a single value'],
      ['/api/runs?sort=cost', 'unknown parameter "sort"'],
      ['/api/runs/run-a/trace?cursor=e30', 'invalid parameter "cursor": malformed cursor: pass the next_cursor of a previous page unchanged'],
      ['/api/analytics/summary?from=2026-03-02&to=2026-03-01', 'invalid parameter "from": must be before "to"'],
      ['/api/analytics/failures?workflow=', 'invalid parameter "workflow": expected up to 100 non-empty comma-separated values'],
    ];
    for (const [path, error] of cases) expect(await h.json(path)).toEqual({ status: 400, body: { error } });
    expect(await h.json("/api/runs?workflow=x'%20OR%201%3D1%20--")).toEqual({ status: 200, body: { runs: [], next_cursor: null } });
    expect((await h.json('/api/nowhere')).status).toBe(404);
  });

  it("scopes every endpoint to the key's project", async () => {
    const globex = { Authorization: `Bearer ${GLOBEX_KEY}` };
    expect((await get('/api/runs', globex)).body.runs.map((r: any) => r.run_id)).toEqual(['run-f']);
    expect((await get('/api/runs', { Authorization: `Bearer ${ACME_KEY}` })).body.runs).toHaveLength(DEFAULT_RUNS.length);
    expect((await get('/api/runs/run-a', globex)).status).toBe(404);
    expect((await get('/api/runs/run-a/trace', globex)).status).toBe(404);
    expect((await h.json('/api/runs/run-a', { method: 'DELETE', headers: globex })).status).toBe(404);
    expect((await get('/api/runs/run-a')).status).toBe(200);
    const range = `from=${new Date(T0 - MINUTE).toISOString()}&to=${new Date(T0 + 60 * MINUTE).toISOString()}`;
    expect((await get(`/api/analytics/summary?${range}`, globex)).body.execution_analytics.total_executions).toBe(1);
    expect((await get(`/api/analytics/failures?${range}`, globex)).body.totals.failures).toBe(0);
    expect((await get(`/api/analytics/cost-by-label?${range}`, globex)).body.labels.map((l: any) => l.semantic_label)).toEqual(['planning']);
    // The stream of another project's run has nothing to replay.
    const stream = await SseTestClient.connect(`${h.baseUrl}/api/runs/run-a/stream?access_token=${GLOBEX_KEY}`);
    expect(stream.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.traceEvents()).toEqual([]);
    stream.close();

    const bad = await fetch(`${h.baseUrl}/api/runs`, { headers: { Authorization: 'Bearer wrong-key-0123456789' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await bad.json()).toEqual({ error: 'invalid API key' });
    expect((await fetch(`${h.baseUrl}/api/runs`, { headers: { Authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('requires a key from non-loopback addresses', async () => {
    const address = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (address === undefined) return; // no non-loopback interface on this machine
    const remote = createTailServer({ store: h.store, bus: h.bus, config: { host: address, port: 0, apiKeys: [{ key: GLOBEX_KEY, projectId: 'globex' }] } });
    const { port } = await remote.start();
    try {
      const anonymous = await fetch(`http://${address}:${port}/api/runs`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toEqual({ error: 'an API key is required: send Authorization: Bearer <key>' });
      const keyed = await fetch(`http://${address}:${port}/api/runs`, { headers: { Authorization: `Bearer ${GLOBEX_KEY}` } });
      expect(((await keyed.json()) as any).runs.map((r: any) => r.run_id)).toEqual(['run-f']);
      expect((await fetch(`http://${address}:${port}/api/openapi.json`)).status).toBe(200);
    } finally {
      await remote.stop();
    }
  });

  it('documents every route in the OpenAPI document, and responses match it', async () => {
    const { status, body: doc } = await get('/api/openapi.json');
    expect(status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    const served = new Set<string>();
    const walk = (stack: any[]) => {
      for (const layer of stack) {
        if (layer.route) for (const method of Object.keys(layer.route.methods)) served.add(`${method} ${layer.route.path}`);
        else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((h.server.app as any).router.stack);
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.size).toBe(11);

    // Real responses validate against the documented schemas.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const check = async (path: string, docPath: string, method = 'get', init?: RequestInit) => {
      const res = await h.json(path, init);
      const schema = doc.paths[docPath][method].responses[String(res.status)].content['application/json'].schema;
      const valid = ajv.validate(schema, res.body);
      expect(valid, `${path}: ${ajv.errorsText()}`).toBe(true);
    };
    await check('/api/runs', '/api/runs');
    await check('/api/runs/run-e', '/api/runs/{runId}');
    await check('/api/runs/run-a/trace', '/api/runs/{runId}/trace');
    await check('/api/runs/nope', '/api/runs/{runId}');
    await check('/api/runs?limit=x', '/api/runs');
    await check('/api/analytics/summary', '/api/analytics/summary');
    await check('/api/analytics/failures', '/api/analytics/failures');
    await check('/api/analytics/cost-by-label', '/api/analytics/cost-by-label');
    const streamOp = doc.paths['/api/runs/{runId}/stream'].get;
    expect(Object.keys(streamOp.responses['200'].content)).toEqual(['text/event-stream']);
    expect(streamOp.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(['path:runId', 'query:lastEventId', 'header:Last-Event-ID']);
  });

  it('counts a run whose spans were stored twice once, in the list, its filters, the detail and the trace', async () => {
    const spans = stored.get('run-a')!;
    const exact = expectedTotals(spans);
    // The same spans under another dedup token: only FINAL (or an aggregate blind to repeats) hides them.
    await h.store.insertSpans(spans, 'api-test-stored-again');
    const listed = (await get('/api/runs')).body.runs.find((r: any) => r.run_id === 'run-a');
    expect(listed.totals).toMatchObject(exact);
    expect((await get('/api/runs/run-a')).body.totals).toMatchObject(exact);
    expect((await get('/api/runs/run-a/trace')).body.run.totals).toMatchObject(exact);
    const ids = async (query: string) => (await get(`/api/runs?${query}`)).body.runs.map((r: any) => r.run_id);
    expect(await ids(`min_cost=${exact.cost_usd}`)).toContain('run-a');
    expect(await ids(`min_cost=${sumUsd([exact.cost_usd, '0.000000000001'])}`)).not.toContain('run-a');
  });

  it("deletes a run's rows and nothing else", async () => {
    const count = async (table: string, runSpans: EnrichedSpan[]) => {
      const ids = runSpans.map((s) => `'${s.spanId}'`).join(',');
      return Number((await h.store.query(`SELECT count() AS n FROM ${table} WHERE SpanId IN (${ids})`)).match(/\d+/)![0]);
    };
    const doomed = stored.get('run-d')!;
    const kept = stored.get('run-c')!;
    expect(await count('otel_traces', doomed)).toBe(doomed.length);
    const res = await h.json('/api/runs/run-d', { method: 'DELETE' });
    expect(res).toEqual({ status: 200, body: { run_id: 'run-d', deleted_spans: doomed.length } });
    expect(await count('otel_traces', doomed)).toBe(0);
    expect(await count('span_facts', doomed)).toBe(0);
    expect(await count('otel_traces', kept)).toBe(kept.length);
    expect(await count('span_facts', kept)).toBe(kept.length);
    expect((await get('/api/runs/run-d')).status).toBe(404);
    expect((await h.json('/api/runs/run-d', { method: 'DELETE' })).status).toBe(404);
    expect((await get('/api/runs')).body.runs.map((r: any) => r.run_id)).not.toContain('run-d');
    expect(await h.store.query("SELECT count() AS n FROM run_totals WHERE RunId = 'run-d'")).toBe('{"n":0}\n');
  });
});
