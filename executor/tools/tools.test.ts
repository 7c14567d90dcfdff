import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeNow, listen } from '../../core/http-server.ts';
import { createHttpGetTool } from './http-get.ts';
import { jsonPathTool } from './json-path.ts';
import { ToolRegistry } from './registry.ts';
import { ToolError, type ToolContext } from './types.ts';

const MB = 1024 * 1024;

/** Streams `total` bytes in 64 KiB chunks without a Content-Length, counting what it wrote. */
function streamBytes(res: ServerResponse, total: number, sent: { bytes: number }): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  res.writeHead(200, { 'content-type': 'text/plain' });
  const pump = () => {
    while (sent.bytes < total) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => {});
  pump();
}

let server: Server;
let base: string;
let port: number;
const streamed = { bytes: 0 };

const documents: RequestListener = (req, res) => {
  const path = req.url ?? '/';
  if (path === '/json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[{"n":1},{"n":2}]}');
  if (path === '/text') return res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
  if (path === '/slow') return; // never answers
  if (path === '/huge') return streamBytes(res, 100 * MB, streamed);
  if (path === '/huge-declared') return res.writeHead(200, { 'content-length': String(100 * MB) }).end();
  if (path === '/fail') return res.writeHead(503).end('down');
  if (path === '/missing') return res.writeHead(404).end('no');
  if (path === '/redirect-away') return res.writeHead(302, { location: 'http://localhost:1/elsewhere' }).end();
  if (path === '/redirect-here') return res.writeHead(302, { location: '/text' }).end();
  res.writeHead(404).end();
};

beforeAll(async () => {
  ({ server, port, url: base } = await listen(documents, { host: '127.0.0.1', port: 0 }, 'the test document server'));
});

afterAll(() => closeNow(server));

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

const context = (signal: AbortSignal = new AbortController().signal): ToolContext => ({ signal, runId: 'r', nodeId: 'n' });

async function failure(action: () => unknown): Promise<ToolError> {
  try {
    await action();
  } catch (err) {
    return err as ToolError;
  }
  throw new Error('expected a failure');
}

describe('http_get', () => {
  const allowed = () => createHttpGetTool({ allowHosts: [`127.0.0.1:${port}`], timeoutMs: 2000 });

  it('returns text and parsed JSON from an allow-listed host', async () => {
    const json = (await allowed()({ url: `${base}/json` }, context())) as Record<string, unknown>;
    expect(json).toMatchObject({ status: 200, contentType: 'application/json', json: { items: [{ n: 1 }, { n: 2 }] } });
    expect(json.content).toBe('{"items":[{"n":1},{"n":2}]}');
    expect(await allowed()({ url: `${base}/text` }, context())).toMatchObject({ content: 'hello', status: 200 });
  });

  it('refuses hosts outside the allow-list, and allows nothing by default', async () => {
    const refused = await failure(() => allowed()({ url: `http://localhost:${port}/text` }, context()));
    expect(refused).toBeInstanceOf(ToolError);
    expect(refused.reason).toBe('tool_error');
    expect(refused.message).toBe(`http_get: host 'localhost:${port}' is not in the allow-list (127.0.0.1:${port})`);
    const none = await failure(() => createHttpGetTool()({ url: `${base}/text` }, context()));
    expect(none.message).toContain('is not in the allow-list (empty)');
    const otherPort = await failure(() => createHttpGetTool({ allowHosts: ['127.0.0.1:1'] })({ url: `${base}/text` }, context()));
    expect(otherPort.message).toContain('not in the allow-list');
  });

  it('matches wildcard entries on subdomains only', async () => {
    const wildcard = createHttpGetTool({ allowHosts: ['*.example.com'] });
    expect((await failure(() => wildcard({ url: 'http://example.com/' }, context()))).message).toContain('not in the allow-list');
    const cancelled = new AbortController();
    cancelled.abort(new Error('stop before connecting'));
    // Allowed by the list; the aborted signal ends it before any network use.
    await expect(wildcard({ url: 'http://docs.example.com/' }, context(cancelled.signal))).rejects.toThrow('stop before connecting');
  });

  it('re-checks the allow-list on every redirect', async () => {
    const away = await failure(() => allowed()({ url: `${base}/redirect-away` }, context()));
    expect(away.message).toBe("http_get: host 'localhost:1' is not in the allow-list (127.0.0.1:" + port + ')');
    expect(await allowed()({ url: `${base}/redirect-here` }, context())).toMatchObject({ content: 'hello', url: `${base}/text` });
  });

  it('times out a silent server with a timeout reason', async () => {
    const started = Date.now();
    const timedOut = await failure(() => allowed()({ url: `${base}/slow`, timeoutMs: 150 }, context()));
    expect(timedOut.reason).toBe('timeout');
    expect(timedOut.retryable).toBe(true);
    expect(timedOut.message).toBe(`http_get: no complete response from 127.0.0.1:${port} within 150 ms`);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('caps a 100 MB streamed response without reading all of it', async () => {
    streamed.bytes = 0;
    const tooBig = await failure(() => allowed()({ url: `${base}/huge` }, context()));
    expect(tooBig.reason).toBe('tool_error');
    expect(tooBig.message).toBe(`http_get: response from 127.0.0.1:${port} exceeds ${5 * MB} bytes`);
    // The server stopped being read soon after the cap (socket buffers allow some slack).
    expect(streamed.bytes).toBeLessThan(40 * MB);
  });

  it('refuses a declared oversize body before reading it, and honours a smaller per-node cap', async () => {
    expect((await failure(() => allowed()({ url: `${base}/huge-declared` }, context()))).message).toContain(`exceeds ${5 * MB} bytes`);
    expect((await failure(() => allowed()({ url: `${base}/json`, maxBytes: 10 }, context()))).message).toContain('exceeds 10 bytes');
  });

  it('fails on HTTP errors; 5xx is retryable, 4xx is not', async () => {
    const unavailable = await failure(() => allowed()({ url: `${base}/fail` }, context()));
    expect(unavailable.message).toBe(`http_get: 127.0.0.1:${port} answered HTTP 503`);
    expect(unavailable.retryable).toBe(true);
    expect((await failure(() => allowed()({ url: `${base}/missing` }, context()))).retryable).toBe(false);
  });

  it('reports network failures and refuses non-http URLs', async () => {
    const closedPort = await freePort();
    const closed = createHttpGetTool({ allowHosts: [`127.0.0.1:${closedPort}`] });
    const network = await failure(() => closed({ url: `http://127.0.0.1:${closedPort}/` }, context()));
    expect(network.reason).toBe('network');
    expect(network.message).toBe(`http_get: 127.0.0.1:${closedPort}: ECONNREFUSED`);
    expect((await failure(() => allowed()({ url: 'file:///etc/passwd' }, context()))).reason).toBe('invalid_request');
  });

  it('rejects invalid configuration at construction', () => {
    expect(() => createHttpGetTool({ timeoutMs: -1 })).toThrow();
    expect(() => createHttpGetTool({ allowHost: ['x'] } as never)).toThrow();
  });
});

describe('json_path', () => {
  const doc = { items: [{ n: 1, tag: 'a' }, { n: 2, tag: 'b' }] };

  it('selects from JSON values and JSON text, all matches or the first', () => {
    expect(jsonPathTool({ path: '$.items[*].n', source: doc }, context())).toEqual([1, 2]);
    expect(jsonPathTool({ path: '$.items[?(@.n > 1)].tag', source: JSON.stringify(doc), first: true }, context())).toBe('b');
    expect(jsonPathTool({ path: '$.nothing', source: doc, first: true }, context())).toBeNull();
  });

  it('fails with parse_error on text that is not JSON', async () => {
    const error = await failure(() => jsonPathTool({ path: '$.a', source: 'not json' }, context()));
    expect(error.reason).toBe('parse_error');
    expect(error.message).toMatch(/^json_path: source is not JSON: /);
  });
});

describe('ToolRegistry', () => {
  it('layers sources, later ones winning, and rejects bad names', () => {
    const first = () => 1;
    const second = () => 2;
    const registry = new ToolRegistry({ a: first }, [['a', second]], undefined);
    expect(registry.get('a')).toBe(second);
    expect(registry.names()).toEqual(['a']);
    expect(() => registry.register('bad name', first)).toThrow("tool name 'bad name' must be an identifier");
  });
});
