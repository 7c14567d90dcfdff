import { describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, isLoopback } from './auth/api-key-auth.ts';
import { parseApiKeys, resolveTailConfig } from './config.ts';
import { compareEventKeys, formatEventId, parseEventId } from './events/event-id.ts';

const KEY = 'k-0123456789abcdef';

describe('tail configuration', () => {
  it('fills defaults and names every invalid setting', () => {
    expect(resolveTailConfig({})).toMatchObject({ host: '127.0.0.1', port: 8787, defaultProjectId: 'default', sse: { heartbeatMs: 15_000, maxConnections: 1000 } });
    expect(() => resolveTailConfig({ port: 70_000, sse: { maxConnections: 0 }, apiKeys: [{ key: 'short', projectId: 'p' }] })).toThrow(
      /port: .*\n {2}apiKeys\.0\.key: an API key needs at least 16 characters\n {2}sse\.maxConnections/,
    );
  });

  it('parses FLOWTRACE_API_KEYS without ever echoing a key', () => {
    expect(parseApiKeys(`${KEY}:acme, ${KEY}x:globex`)).toEqual([
      { key: KEY, projectId: 'acme' },
      { key: `${KEY}x`, projectId: 'globex' },
    ]);
    for (const bad of [`${KEY}:acme,${KEY}`, `${KEY}:bad project`, 'tiny-secret:acme']) {
      const message = (() => {
        try {
          parseApiKeys(bad);
          return '';
        } catch (err) {
          return (err as Error).message;
        }
      })();
      expect(message).toMatch(/^FLOWTRACE_API_KEYS entry \d: /);
      expect(message).not.toContain('0123456789');
      expect(message).not.toContain('secret');
    }
  });
});

describe('API key authenticator', () => {
  const auth = new ApiKeyAuthenticator([{ key: KEY, projectId: 'acme' }], 'default');
  const request = (remoteAddress: string, authorization?: string) =>
    ({ headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress } }) as never;

  it('maps keys to projects, loopback without a key to the default project, and refuses the rest', () => {
    expect(auth.projectOf(request('127.0.0.1'))).toBe('default');
    expect(auth.projectOf(request('::ffff:127.0.0.1'))).toBe('default');
    expect(auth.projectOf(request('10.1.2.3', `Bearer ${KEY}`))).toBe('acme');
    expect(auth.projectOf(request('10.1.2.3'), KEY)).toBe('acme');
    expect(() => auth.projectOf(request('10.1.2.3'))).toThrow('an API key is required');
    expect(() => auth.projectOf(request('127.0.0.1', 'Bearer nope-nope-nope-nope'))).toThrow('invalid API key');
    expect(() => auth.projectOf(request('127.0.0.1', `Token ${KEY}`))).toThrow('expected "Bearer <key>"');
    expect(isLoopback('192.0.2.2')).toBe(false);
  });
});

describe('event ids', () => {
  it('round-trip and order by end time, span id, position', () => {
    const id = formatEventId(1772442000305000000n, '0000000000001003', 2);
    expect(parseEventId(id)).toEqual({ endNs: 1772442000305000000n, spanId: '0000000000001003', n: 2 });
    const keys = ['9:b:0', '10:a:1', '10:a:0', '9:a:5'].map((s) => parseEventId(s)!);
    expect(keys.sort(compareEventKeys).map((k) => formatEventId(k.endNs, k.spanId, k.n))).toEqual(['9:a:5', '9:b:0', '10:a:0', '10:a:1']);
    for (const bad of ['', 'x:y:z', '1:2', '99999999999999999999:a:0', '1:a:0:0', '1:a b:0']) expect(parseEventId(bad)).toBeUndefined();
  });
});
