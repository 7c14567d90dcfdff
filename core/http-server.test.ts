import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeGracefully, closeNow, HttpServerHandle, listen, ListenError, type ListeningServer } from './http-server.ts';

const started: ListeningServer[] = [];

afterEach(async () => {
  for (const { server } of started.splice(0)) if (server.listening) await closeNow(server);
});

async function serve(handler: Parameters<typeof listen>[0]): Promise<ListeningServer> {
  const listening = await listen(handler, { host: '127.0.0.1', port: 0 }, 'the test server');
  started.push(listening);
  return listening;
}

function get(url: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('listen', () => {
  it('binds a free port for port 0 and reports the bound address and URL', async () => {
    const { host, port, url } = await serve((_req, res) => res.end('hello'));
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await get(url)).toEqual({ status: 200, body: 'hello' });
  });

  it('names the server and the address when the port is taken', async () => {
    const { port } = await serve((_req, res) => res.end());
    const failure = listen((_req, res) => res.end(), { host: '127.0.0.1', port }, 'the second server');
    await expect(failure).rejects.toBeInstanceOf(ListenError);
    await expect(failure).rejects.toThrow(`the second server cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`);
    await expect(failure).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('puts IPv6 addresses in brackets in the URL', async () => {
    let listening: ListeningServer;
    try {
      listening = await listen((_req, res) => res.end(), { host: '::1', port: 0 }, 'the IPv6 server');
    } catch (err) {
      if ((err as ListenError).code === 'EADDRNOTAVAIL') return; // no IPv6 loopback on this machine
      throw err;
    }
    started.push(listening);
    expect(listening.url).toBe(`http://[::1]:${listening.port}`);
  });
});

describe('closeGracefully', () => {
  it('answers the request in flight and closes idle keep-alive connections', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { server, url } = await serve((req, res) => {
      if (req.url === '/slow') void held.then(() => res.end('late'));
      else res.end('fast');
    });
    const agent = new Agent({ keepAlive: true });
    expect(await get(`${url}/fast`, agent)).toEqual({ status: 200, body: 'fast' });
    const slow = get(`${url}/slow`, new Agent({ keepAlive: true }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    let closed = false;
    const closing = closeGracefully(server).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    release();
    expect(await slow).toEqual({ status: 200, body: 'late' });
    await closing;
    expect(server.listening).toBe(false);
    agent.destroy();
  });

  it('cuts connections still open after forceAfterMs', async () => {
    const { server, url } = await serve(() => {
      // never answers
    });
    const hanging = get(url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await closeGracefully(server, { forceAfterMs: 100 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await expect(hanging).rejects.toThrow(/socket hang up/);
  });
});

describe('closeNow', () => {
  it('cuts requests in flight', async () => {
    const { server, url } = await serve(() => {
      // never answers
    });
    const hanging = get(url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closeNow(server);
    await expect(hanging).rejects.toThrow(/socket hang up/);
    expect(server.listening).toBe(false);
  });
});

describe('HttpServerHandle', () => {
  it('runs one server at a time and stops idempotently', async () => {
    const handle = new HttpServerHandle('the handled server');
    const { url, server } = await handle.start((_req, res) => res.end('one'), { host: '127.0.0.1', port: 0 });
    await expect(handle.start((_req, res) => res.end('two'), { host: '127.0.0.1', port: 0 })).rejects.toThrow('the handled server is already started');
    expect(await get(url)).toEqual({ status: 200, body: 'one' });
    await handle.stop();
    expect(server.listening).toBe(false);
    await handle.stop();
    const again = await handle.start((_req, res) => res.end('three'), { host: '127.0.0.1', port: 0 });
    expect(await get(again.url)).toEqual({ status: 200, body: 'three' });
    await handle.stop(closeNow);
    expect(again.server.listening).toBe(false);
  });
});
