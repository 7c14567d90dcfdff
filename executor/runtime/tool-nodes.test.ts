import type { RequestListener, Server } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNow, listen } from '../../core/http-server.ts';
import { FLOWTRACE, FLOWTRACE_EVENT, GEN_AI } from '../../core/semconv.ts';
import { byName, one } from '../telemetry/test-support.ts';
import { registerTool } from '../tools/registry.ts';
import { ToolError } from '../tools/types.ts';
import type { RunEvent } from './events.ts';
import { runWorkflow, type RunWorkflowOptions } from './run.ts';
import { attributesOf, useHarness } from './test-support.ts';

const harness = useHarness();
let server: Server;
let host: string;
let flakyHits = 0;

const documents: RequestListener = (req, res) => {
  if (req.url === '/doc') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"title":"Tracing","words":3}');
  if (req.url === '/slow') return; // never answers
  if (req.url === '/flaky') return (++flakyHits === 1 ? res.writeHead(503).end() : res.writeHead(200).end('second time lucky'));
  if (req.url === '/huge') {
    // 100 MB, streamed without a length.
    const chunk = Buffer.alloc(1024 * 1024, 'y');
    res.writeHead(200);
    res.on('error', () => {});
    let sent = 0;
    const pump = () => {
      while (sent < 100) {
        sent += 1;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  res.writeHead(404).end();
};

beforeAll(async () => {
  const listening = await listen(documents, { host: '127.0.0.1', port: 0 }, 'the document server');
  server = listening.server;
  host = `${listening.host}:${listening.port}`;
});
afterAll(() => closeNow(server));

const fetchFlow = (url: string, extra: Record<string, unknown> = {}) => ({
  version: '1',
  name: 'fetch',
  entry: 'fetch',
  nodes: [
    { id: 'fetch', type: 'tool', config: { url, ...extra } },
    { id: 'title', type: 'tool', config: { tool: 'template', template: 'Title: {{node.fetch.output.json.title}}' } },
  ],
  edges: [{ from: 'fetch', to: 'title' }],
});

const run = (spec: unknown, extra: RunWorkflowOptions = {}) =>
  runWorkflow(spec, { telemetry: harness.captured.telemetry, http: { allowHosts: [host], timeoutMs: 2000 }, ...extra });

describe('http_get in a workflow', () => {
  it('fetches JSON from an allow-listed host and templates from it', async () => {
    const summary = await run(fetchFlow(`http://${host}/doc`));
    expect(summary.status).toBe('succeeded');
    expect(summary.steps[0]!.output).toMatchObject({ status: 200, json: { title: 'Tracing', words: 3 } });
    expect(summary.steps[1]!.output).toBe('Title: Tracing');
    const tool = one(await harness.captured.spans(), 'execute_tool http_get');
    expect(attributesOf(tool)).toMatchObject({ [GEN_AI.TOOL_NAME]: 'http_get', [GEN_AI.OPERATION_NAME]: 'execute_tool', [FLOWTRACE.ATTEMPT]: 1 });
  });

  it('refuses a host outside the allow-list: failed step classified tool_error, nothing after it runs', async () => {
    const summary = await run(fetchFlow(`http://localhost:${host.split(':')[1]}/doc`));
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'tool_error' });
    expect(summary.steps).toHaveLength(1);
    expect(summary.steps[0]).toMatchObject({ status: 'failed', failureReason: 'tool_error', attempts: 1 });
    expect(summary.steps[0]!.error).toContain('is not in the allow-list');
    const spans = await harness.captured.spans();
    const tool = one(spans, 'execute_tool http_get');
    expect(tool.status.code).toBe(SpanStatusCode.ERROR);
    expect(attributesOf(one(spans, 'step fetch'))['error.type']).toBe('tool_error');
  });

  it('times out a silent host: failed step classified timeout', async () => {
    const started = Date.now();
    const summary = await run(fetchFlow(`http://${host}/slow`, { timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'timeout' });
    expect(summary.steps[0]!.error).toBe(`http_get: no complete response from ${host} within 200 ms`);
  });

  it('caps a 100 MB response: failed step classified tool_error', async () => {
    const summary = await run(fetchFlow(`http://${host}/huge`), { http: { allowHosts: [host], maxBytes: 1024 * 1024 } });
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'tool_error' });
    expect(summary.steps[0]!.error).toBe(`http_get: response from ${host} exceeds ${1024 * 1024} bytes`);
  });

  it('retries a transient failure when the node has a retry policy: one span per attempt', async () => {
    flakyHits = 0;
    const events: RunEvent[] = [];
    const spec = fetchFlow(`http://${host}/flaky`);
    Object.assign(spec.nodes[0]!, { retry: { maxAttempts: 3, initialDelayMs: 10, jitter: 0 } });
    spec.nodes[1]!.config.template = '{{node.fetch.output.content}}';
    const summary = await run(spec, { onEvent: (event) => events.push(event) });
    expect(summary.status).toBe('succeeded');
    expect(summary.steps[0]).toMatchObject({ attempts: 2, retries: 1 });
    expect(summary.steps[1]!.output).toBe('second time lucky');
    expect(summary.totals.retries).toBe(1);
    expect(events.filter((e) => e.kind === 'retry').map((e) => e.payload)).toEqual([
      { tool: 'http_get', attempt: 2, delayMs: 10, reason: 'tool_error', error: `http_get: ${host} answered HTTP 503` },
    ]);
    const spans = await harness.captured.spans();
    expect(byName(spans, 'execute_tool http_get')).toHaveLength(2);
    expect(one(spans, 'step fetch').events.map((e) => e.name)).toEqual([FLOWTRACE_EVENT.RETRY]);
  });
});

describe('registered tools and routers', () => {
  const toolFlow = (tool: string) => ({
    version: '1',
    entry: 'a',
    nodes: [
      { id: 'a', type: 'tool', config: { tool, factor: 3 }, inputs: { value: 14 } },
      { id: 'b', type: 'tool', config: { tool: 'template', template: '= {{node.a.output.result}}' } },
    ],
    edges: [{ from: 'a', to: 'b' }],
  });

  it('runs tools registered for the process and tools passed to the run, with config and inputs as arguments', async () => {
    registerTool('multiply', (args) => ({ result: Number(args.value) * Number(args.factor) }));
    expect((await run(toolFlow('multiply'))).steps[1]!.output).toBe('= 42');
    const perRun = await run(toolFlow('add'), { tools: { add: async (args) => ({ result: Number(args.value) + Number(args.factor) }) } });
    expect(perRun.steps[1]!.output).toBe('= 17');
  });

  it('classifies tool failures: thrown errors, ToolError reasons, unserialisable results', async () => {
    const thrown = await run(toolFlow('bad'), { tools: { bad: () => { throw new Error('disk full'); } } });
    expect(thrown).toMatchObject({ status: 'failed', failureReason: 'tool_error', error: 'disk full' });
    const parse = await run(toolFlow('bad'), { tools: { bad: () => { throw new ToolError('parse_error', 'bad csv'); } } });
    expect(parse).toMatchObject({ failureReason: 'parse_error', error: 'bad csv' });
    const bigint = await run(toolFlow('bad'), { tools: { bad: () => ({ n: 1n }) } });
    expect(bigint.failureReason).toBe('tool_error');
    expect(bigint.error).toMatch(/^tool 'bad' returned a value that is not JSON-serialisable/);
  });

  it('fails a router step whose rule yields no branch, classified parse_error', async () => {
    const spec = {
      version: '1',
      entry: 'src',
      nodes: [
        { id: 'src', type: 'tool', config: { tool: 'template', template: 'text' } },
        { id: 'route', type: 'router', config: { rule: 'text.missing' }, inputs: { text: '{{node.src.output}}' } },
        { id: 'after', type: 'tool', config: { tool: 'template', template: 'x' } },
      ],
      edges: [
        { from: 'src', to: 'route' },
        { from: 'route', to: 'after', when: "branch == 'x'" },
      ],
    };
    const summary = await run(spec);
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'parse_error' });
    expect(summary.steps[1]).toMatchObject({ nodeId: 'route', status: 'failed', error: "rule 'text.missing' gave undefined, not a string, number or boolean" });
    expect(summary.steps).toHaveLength(2);
    expect(attributesOf(one(await harness.captured.spans(), 'step route'))['error.type']).toBe('parse_error');
  });

  it('fails the node behind an edge condition that cannot be evaluated, classified parse_error', async () => {
    const spec = {
      version: '1',
      entry: 'pick',
      nodes: [
        { id: 'pick', type: 'tool', config: { tool: 'json_path', path: '$.none', source: { a: 1 }, first: true } },
        { id: 'next', type: 'tool', config: { tool: 'template', template: 'x' } },
      ],
      edges: [{ from: 'pick', to: 'next', when: 'output["k"] == 1' }],
    };
    const summary = await run(spec);
    expect(summary).toMatchObject({ status: 'failed', failureReason: 'parse_error' });
    expect(summary.steps[1]).toMatchObject({ nodeId: 'next', status: 'failed' });
    expect(summary.steps[1]!.error).toMatch(/^edge condition into 'next': 'output\["k"\] == 1' failed: .*Cannot read properties of null \(reading 'k'\)$/);
  });

  it('turns numeric and boolean rule results into branches', async () => {
    const spec = {
      version: '1',
      entry: 'src',
      nodes: [
        { id: 'src', type: 'tool', config: { tool: 'template', template: 'four' } },
        { id: 'route', type: 'router', config: { rule: 'len(text) == 4' }, inputs: { text: '{{node.src.output}}' } },
        { id: 'yes', type: 'tool', config: { tool: 'template', template: 'yes' } },
        { id: 'no', type: 'tool', config: { tool: 'template', template: 'no' } },
      ],
      edges: [
        { from: 'src', to: 'route' },
        { from: 'route', to: 'yes', when: "branch == 'true'" },
        { from: 'route', to: 'no', when: "branch == 'false'" },
      ],
    };
    const summary = await run(spec);
    expect(summary.steps.map((step) => [step.nodeId, step.status])).toEqual([
      ['src', 'succeeded'],
      ['route', 'succeeded'],
      ['yes', 'succeeded'],
      ['no', 'skipped'],
    ]);
  });
});
