import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../executor/index.ts';
import { ProviderSimulator } from '../../executor/simulator/index.ts';
import { apiClient, type ApiClient } from '../test-support/http.ts';
import { startServiceStack, type ServiceStack } from '../test-support/stack.ts';

const home = mkdtempSync(join(tmpdir(), 'flowtrace-workflow-api-'));
const simulator = new ProviderSimulator();
let stack: ServiceStack;
let api: ApiClient;

const MAX_BODY = 64 * 1024;
const MAX_NODES = 10;

beforeAll(async () => {
  const address = await simulator.start();
  stack = await startServiceStack({
    home,
    providers: { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test' } },
    service: { maxBodyBytes: MAX_BODY, maxGraphNodes: MAX_NODES },
  });
  api = apiClient(stack.baseUrl);
});
afterAll(async () => {
  await stack?.stop();
  await simulator.stop();
  rmSync(home, { recursive: true, force: true });
});

const templateGraph = (text: string) => ({
  version: '1',
  entry: 'say',
  inputs: { who: { default: 'world' } },
  nodes: [{ id: 'say', type: 'tool', config: { tool: 'template', template: `${text} {{input.who}}` } }],
  edges: [],
});

describe('workflow API', () => {
  it('has the demo workflows on first start', async () => {
    const { status, body } = await api.get('/api/workflows?limit=500');
    expect(status).toBe(200);
    const demos = body.workflows.filter((w: { id: string }) => ['research-summarize-decide-deep', 'csv-analysis-writeup'].includes(w.id));
    expect(demos).toHaveLength(2);
    const research = demos.find((w: { id: string }) => w.id === 'research-summarize-decide-deep');
    expect(research).toMatchObject({ name: 'Research→Summarize→Decide→Deep', latest_version: 1, node_count: 5 });
    expect(Object.keys(research.inputs)).toEqual(['topic', 'notes']);
  });

  it('creates, versions, reads any version, lists and deletes softly', async () => {
    const created = await api.post('/api/workflows', { name: 'Greeter', description: 'says hello', graph_json: templateGraph('hello') });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^wf_[0-9a-f]{16}$/), version: 1 });
    const id = created.body.id as string;

    const v1 = await api.get(`/api/workflows/${id}`);
    expect(v1.body).toMatchObject({ id, version: 1, latest_version: 1, name: 'Greeter', description: 'says hello', deleted_at: null });
    expect(v1.body.graph_json).toMatchObject({ id, name: 'Greeter', entry: 'say' });

    expect((await api.put(`/api/workflows/${id}`, { graph_json: templateGraph('hi') })).body).toEqual({ id, version: 2 });
    expect((await api.put(`/api/workflows/${id}`, { name: 'Greeter 3' })).body).toEqual({ id, version: 3 });

    const latest = await api.get(`/api/workflows/${id}`);
    expect(latest.body).toMatchObject({ version: 3, latest_version: 3, name: 'Greeter 3', description: 'says hello' });
    expect(latest.body.graph_json.nodes[0].config.template).toBe('hi {{input.who}}');
    const first = await api.get(`/api/workflows/${id}?version=1`);
    expect(first.body).toMatchObject({ version: 1, latest_version: 3, name: 'Greeter' });
    expect(first.body.graph_json.nodes[0].config.template).toBe('hello {{input.who}}');

    const missing = await api.get(`/api/workflows/${id}?version=7`);
    expect(missing).toMatchObject({ status: 404, body: { error: `workflow "${id}" has no version 7 (latest: 3)` } });

    const listed = (await api.get('/api/workflows?limit=500')).body.workflows.find((w: { id: string }) => w.id === id);
    expect(listed).toMatchObject({ latest_version: 3, name: 'Greeter 3', inputs: { who: { default: 'world' } }, node_count: 1 });

    expect(await api.delete(`/api/workflows/${id}`)).toMatchObject({ status: 200, body: { id, deleted: true } });
    const gone = await api.get(`/api/workflows/${id}`);
    expect(gone.status).toBe(410);
    expect(gone.body.error).toMatch(new RegExp(`^workflow "${id}" was deleted at \\d{4}-`));
    const kept = await api.get(`/api/workflows/${id}?version=2`);
    expect(kept.status).toBe(200);
    expect(kept.body.deleted_at).toEqual(expect.any(String));
    expect((await api.put(`/api/workflows/${id}`, { name: 'again' })).status).toBe(410);
    expect((await api.post(`/api/workflows/${id}/runs`, {})).status).toBe(410);
    expect((await api.delete(`/api/workflows/${id}`)).status).toBe(410);
    expect((await api.get('/api/workflows?limit=500')).body.workflows.map((w: { id: string }) => w.id)).not.toContain(id);
  });

  it("takes the graph's own id as the workflow id, once", async () => {
    const graph = { ...templateGraph('x'), id: 'named-flow' };
    expect((await api.post('/api/workflows', { name: 'Named', graph_json: graph })).body).toEqual({ id: 'named-flow', version: 1 });
    const again = await api.post('/api/workflows', { name: 'Named', graph_json: graph });
    expect(again).toMatchObject({ status: 409, body: { error: 'workflow "named-flow" already exists; PUT /api/workflows/named-flow adds a version' } });
    const renamed = await api.put('/api/workflows/named-flow', { graph_json: { ...graph, id: 'other' } });
    expect(renamed.status).toBe(400);
    expect(renamed.body.issues).toEqual([{ path: 'graph_json.id', message: 'must be "named-flow", the workflow\'s id (or left out)' }]);
  });

  it('pages through the list', async () => {
    for (const n of [1, 2, 3]) await api.post('/api/workflows', { name: `page ${n}`, graph_json: templateGraph(`p${n}`) });
    const all = (await api.get('/api/workflows?limit=500')).body.workflows.map((w: { id: string }) => w.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.get(`/api/workflows?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.workflows.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.workflows.map((w: { id: string }) => w.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  it('rejects an invalid graph listing every invalid path, as the executor finds them', async () => {
    const graph = {
      version: '1',
      entry: 'nowhere',
      nodes: [
        { id: 'ask', type: 'llm', config: { provider: 'openai' }, inputs: { q: '{{node.later.output}}' } },
        { id: 'odd', type: 'gizmo', config: {} },
        { id: 'route', type: 'router', config: { rule: 'len(x) >' } },
      ],
      edges: [{ from: 'ask', to: 'ghost' }],
      limits: { maxNodes: 1_000_000 },
    };
    const res = await api.post('/api/workflows', { name: 'Broken', graph_json: graph });
    expect(res.status).toBe(400);
    const paths = res.body.issues.map((issue: { path: string }) => issue.path);
    expect([...paths].sort()).toEqual([
      'graph_json.edges[0].to',
      'graph_json.entry',
      'graph_json.limits.maxNodes',
      'graph_json.nodes[0].config.model',
      'graph_json.nodes[0].inputs.q',
      'graph_json.nodes[1].type',
      'graph_json.nodes[2].config.rule',
    ]);
    // Exactly the executor's findings, each under graph_json.
    const executor = validateWorkflow({ ...graph, id: 'x', name: 'Broken' });
    expect(executor.ok).toBe(false);
    if (!executor.ok) expect(paths).toEqual(executor.issues.map((issue) => (issue.path ? `graph_json.${issue.path}` : 'graph_json')));
    expect(res.body.error).toMatch(/^invalid workflow: graph_json\.[^;]+: .+; /);
    // Nothing was stored.
    expect((await api.get('/api/workflows?limit=500')).body.workflows.map((w: { name: string }) => w.name)).not.toContain('Broken');
  });

  it('documents its operations in the read API\'s OpenAPI document', async () => {
    const { body } = await api.get('/api/openapi.json');
    const operations = (path: string) => Object.keys(body.paths[path] ?? {}).sort();
    expect(operations('/api/workflows')).toEqual(['get', 'post']);
    expect(operations('/api/workflows/{id}')).toEqual(['delete', 'get', 'put']);
    expect(operations('/api/workflows/{id}/runs')).toEqual(['get', 'post']);
    expect(operations('/api/workflows/{id}/runs/{runId}')).toEqual(['get']);
    expect(operations('/api/runs/{runId}/cancel')).toEqual(['post']);
    // The run detail is the service's (scheduler status, long poll), next to the read API's other run routes.
    expect(operations('/api/runs/{runId}')).toEqual(['delete', 'get']);
    expect(body.paths['/api/runs/{runId}'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['runId', 'wait']);
    expect(body.paths['/api/runs/{runId}/stream']).toBeDefined();
    const start = body.paths['/api/workflows/{id}/runs'].post;
    expect(start.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:id', 'header:Idempotency-Key']);
    expect(Object.keys(start.responses).sort()).toEqual(['200', '202', '400', '401', '404', '410', '413', '415', '422', '429', '500', '503']);
    expect(body.paths['/api/workflows'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'graph_json']);
  });

  it('answers bad input with a precise 4xx and keeps serving', async () => {
    const malformed = await api.send('POST', '/api/workflows', '{"name": "x", "graph_json": {', 'application/json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/^malformed JSON body: /);

    const big = await api.send('POST', '/api/workflows', JSON.stringify({ name: 'big', description: 'x'.repeat(MAX_BODY), graph_json: {} }), 'application/json');
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(new RegExp(`^request body of \\d+ bytes is larger than the limit of ${MAX_BODY} bytes$`));

    const nodes = Array.from({ length: MAX_NODES + 1 }, (_, i) => ({ id: `n${i}`, type: 'tool', config: { tool: 'template', template: 'x' } }));
    const huge = await api.post('/api/workflows', { name: 'huge', graph_json: { version: '1', entry: 'n0', nodes, edges: [] } });
    expect(huge.status).toBe(400);
    expect(huge.body.issues).toEqual([{ path: 'graph_json.nodes', message: `${MAX_NODES + 1} nodes, more than the configured maximum of ${MAX_NODES}` }]);

    const text = await api.send('POST', '/api/workflows', 'name=x', 'text/plain');
    expect(text).toMatchObject({ status: 415, body: { error: 'expected a JSON request body (Content-Type: application/json)' } });

    const fields = await api.post('/api/workflows', { name: '', graph_json: 'nope', colour: 'red' });
    expect(fields.status).toBe(400);
    expect(fields.body.issues).toEqual(
      expect.arrayContaining([
        { path: 'name', message: 'expected a non-empty name' },
        { path: 'graph_json', message: 'expected a workflow object (spec version 1)' },
        { path: 'colour', message: 'unknown field' },
      ]),
    );
    expect((await api.post('/api/workflows', { name: 'no graph' })).body.issues).toEqual([{ path: 'graph_json', message: 'required' }]);
    expect((await api.put('/api/workflows/research-summarize-decide-deep', {})).body.issues).toEqual([
      { path: '', message: 'expected at least one of name, description, graph_json' },
    ]);

    expect(await api.get('/api/workflows/wf_unknown')).toMatchObject({ status: 404, body: { error: 'workflow "wf_unknown" not found' } });
    expect((await api.get('/api/workflows/bad%20id')).body.error).toMatch(/^invalid path parameter "id": expected a workflow id/);
    expect((await api.get('/api/workflows/research-summarize-decide-deep?version=0')).body.error).toBe(
      'invalid query parameter "version": expected an integer from 1 to 2147483647',
    );
    expect((await api.get('/api/workflows?limit=9999')).status).toBe(400);
    expect((await api.get('/api/workflows?cursor=garbage')).body.error).toMatch(/malformed cursor/);
    expect(await api.post('/api/runs/no-such-run/cancel')).toMatchObject({ status: 404 });
    expect(await api.post('/api/workflows/wf_unknown/runs', {})).toMatchObject({ status: 404, body: { error: 'workflow "wf_unknown" not found' } });
    const version = await api.post('/api/workflows/research-summarize-decide-deep/runs', { version: 42 });
    expect(version).toMatchObject({ status: 404, body: { error: 'workflow "research-summarize-decide-deep" has no version 42 (latest: 1)' } });
    const inputs = await api.post('/api/workflows/research-summarize-decide-deep/runs', { input_vars: { topic: 'x', colour: 'red' } });
    expect(inputs.status).toBe(400);
    expect(inputs.body.issues).toEqual([{ path: 'input_vars.colour', message: 'not declared by the workflow (declared: topic, notes)' }]);
    const key = await api.post('/api/workflows/research-summarize-decide-deep/runs', {}, { 'Idempotency-Key': 'has space' });
    expect(key.body.error).toMatch(/^invalid Idempotency-Key header/);

    expect((await api.get('/api/workflows')).status).toBe(200);
  });
});
