import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileResponseCache, cacheKey, requestDigest, type CachedResponse } from './index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowtrace-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const entry: CachedResponse = {
  provider: 'openai',
  model: 'gpt-4o-mini',
  text: 'cached answer',
  usage: { input: 120, output: 30, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
  costUsd: '0.000036',
  responseModel: 'gpt-4o-mini',
  finishReasons: ['stop'],
  createdAt: '2026-11-21T00:00:00.000Z',
};

const parts = { system: 'sys', prompt: 'p', parameters: { temperature: 0 }, inputs: { b: [1, 2], a: { y: 1, x: 'z' } } };

describe('keys', () => {
  it('is sha256 over canonical JSON: key order does not matter, content does', () => {
    const digest = requestDigest(parts);
    // Independent canonical form: keys sorted at every level, undefined fields dropped.
    const expected = createHash('sha256')
      .update('{"inputs":{"a":{"x":"z","y":1},"b":[1,2]},"parameters":{"temperature":0},"prompt":"p","system":"sys"}')
      .digest('hex');
    expect(digest).toBe(expected);
    expect(requestDigest({ ...parts, inputs: { a: { x: 'z', y: 1 }, b: [1, 2] } })).toBe(digest);
    expect(requestDigest({ ...parts, inputs: { a: { x: 'z', y: 2 }, b: [1, 2] } })).not.toBe(digest);
    expect(requestDigest({ ...parts, parameters: { temperature: 0.5 } })).not.toBe(digest);
    expect(cacheKey('openai', 'gpt-4o', digest)).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey('openai', 'gpt-4o', digest)).not.toBe(cacheKey('anthropic', 'gpt-4o', digest));
    expect(cacheKey('openai', 'gpt-4o', digest)).not.toBe(cacheKey('openai', 'gpt-4o-mini', digest));
  });

  it('refuses inputs that have no JSON form', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => requestDigest({ ...parts, inputs: cyclic })).toThrow(/circular/i);
    expect(() => requestDigest({ ...parts, inputs: { n: Number.NaN } })).toThrow();
  });
});

describe('FileResponseCache', () => {
  const key = cacheKey('openai', 'gpt-4o-mini', requestDigest(parts));

  it('misses, then hits what was stored, across instances (and so processes)', async () => {
    const writer = new FileResponseCache({ dir });
    expect(await writer.get(key)).toEqual({ status: 'miss' });
    await writer.set(key, entry);
    const reader = new FileResponseCache({ dir });
    expect(await reader.get(key)).toEqual({ status: 'hit', entry });
    const files = await readdir(join(dir, key.slice(0, 2)));
    expect(files).toEqual([`${key}.json`]); // no temporary file left behind
  });

  it('reports corrupt entries and treats them as misses', async () => {
    const cache = new FileResponseCache({ dir });
    await cache.set(key, entry);
    const path = join(dir, key.slice(0, 2), `${key}.json`);

    await writeFile(path, '{"key":"');
    const truncated = await cache.get(key);
    expect(truncated.status).toBe('corrupt');
    expect((truncated as { reason: string }).reason).toMatch(/^not JSON in .*\.json: /);

    await writeFile(path, JSON.stringify({ key, entry: { ...entry, usage: { ...entry.usage, input: -1 } } }));
    expect(await cache.get(key)).toMatchObject({ status: 'corrupt', reason: expect.stringMatching(/bad entry in .*: entry\.usage\.input: /) });

    await writeFile(path, JSON.stringify({ key: 'f'.repeat(64), entry }));
    expect(await cache.get(key)).toMatchObject({ status: 'corrupt', reason: expect.stringContaining(`belongs to key ${'f'.repeat(64)}`) });

    await cache.set(key, entry); // a good write replaces the bad entry
    expect(await cache.get(key)).toEqual({ status: 'hit', entry });
  });

  it('survives concurrent writers of the same key', async () => {
    const caches = [new FileResponseCache({ dir }), new FileResponseCache({ dir })];
    await Promise.all(Array.from({ length: 20 }, (_, i) => caches[i % 2].set(key, { ...entry, text: `answer ${i}` })));
    const found = await caches[0].get(key);
    expect(found.status).toBe('hit');
    expect((found as { entry: CachedResponse }).entry.text).toMatch(/^answer \d+$/);
    expect(await readdir(join(dir, key.slice(0, 2)))).toEqual([`${key}.json`]);
  });

  it('recreates its folder when it was removed between writes', async () => {
    const cache = new FileResponseCache({ dir });
    await cache.set(key, entry);
    await rm(dir, { recursive: true });
    await expect(cache.set(key, entry)).rejects.toThrow(/ENOENT/);
    await cache.set(key, entry);
    expect((await cache.get(key)).status).toBe('hit');
  });

  it('rejects keys that are not sha256 hex', async () => {
    await expect(new FileResponseCache({ dir }).get('../etc/passwd')).rejects.toThrow('cache key: expected 64 lower-case hex characters');
  });
});
