// Response cache on disk: one JSON file per key under `dir/<first two hex>/<key>.json`,
// shared by every run and process using the same directory. Writes go to a temporary file
// renamed into place, so readers see a whole entry or none; unreadable entries count as misses.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { TokenUsage } from '../../core/span.ts';

export interface CachedResponse {
  provider: string;
  model: string;
  text: string;
  /** What the original call used. */
  usage: TokenUsage;
  /** What the original call cost (decimal USD), null when unpriced: the saving of every hit. */
  costUsd: string | null;
  responseModel: string;
  finishReasons: string[];
  /** ISO time the entry was written. */
  createdAt: string;
}

export type CacheLookup =
  | { status: 'hit'; entry: CachedResponse }
  | { status: 'miss' }
  /** The entry exists but cannot be used; `reason` says why. It is treated as a miss. */
  | { status: 'corrupt'; reason: string };

export interface ResponseCache {
  get(key: string): Promise<CacheLookup>;
  /** Stores a successful response; rejects when the entry cannot be written. */
  set(key: string, entry: CachedResponse): Promise<void>;
}

export interface FileResponseCacheConfig {
  /** Default `.flowtrace/cache` under the working directory. */
  dir?: string;
}

export const DEFAULT_CACHE_DIR = '.flowtrace/cache';

const count = z.number().int().nonnegative();
const EntrySchema = z.object({
  key: z.string(),
  entry: z.object({
    provider: z.string(),
    model: z.string(),
    text: z.string(),
    usage: z.object({ input: count, output: count, cacheRead: count, cacheWrite: count, reasoning: count }),
    costUsd: z.string().regex(/^\d+(\.\d+)?$/).nullable(),
    responseModel: z.string(),
    finishReasons: z.array(z.string()),
    createdAt: z.string(),
  }),
});

const KEY_PATTERN = /^[0-9a-f]{64}$/;

export class FileResponseCache implements ResponseCache {
  readonly dir: string;
  /** Shard folders known to exist, so a write costs no mkdir after the first. */
  private readonly shards = new Set<string>();

  constructor(config: FileResponseCacheConfig = {}) {
    this.dir = resolve(config.dir ?? DEFAULT_CACHE_DIR);
  }

  async get(key: string): Promise<CacheLookup> {
    const path = this.pathOf(key);
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'miss' };
      return { status: 'corrupt', reason: `unreadable ${path}: ${(err as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      return { status: 'corrupt', reason: `not JSON in ${path}: ${(err as Error).message}` };
    }
    const parsed = EntrySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { status: 'corrupt', reason: `bad entry in ${path}: ${issue.path.join('.')}: ${issue.message}` };
    }
    if (parsed.data.key !== key) return { status: 'corrupt', reason: `entry in ${path} belongs to key ${parsed.data.key}` };
    return { status: 'hit', entry: parsed.data.entry };
  }

  async set(key: string, entry: CachedResponse): Promise<void> {
    const path = this.pathOf(key);
    const shard = join(this.dir, key.slice(0, 2));
    if (!this.shards.has(shard)) {
      await mkdir(shard, { recursive: true });
      this.shards.add(shard);
    }
    const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify({ key, entry }));
      await rename(temp, path);
    } catch (err) {
      // The folder may have been removed under us: the next write creates it again.
      this.shards.delete(shard);
      await rm(temp, { force: true });
      throw err;
    }
  }

  private pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new TypeError(`cache key: expected 64 lower-case hex characters, got "${key}"`);
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }
}
