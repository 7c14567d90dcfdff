// Provider prompt caching as seen from the client: a prefix sent before (to the same
// model, within this server's lifetime) is a cache read, a new one a cache write.
import type { PromptPrefix } from './prompt.ts';

export interface CacheOutcome {
  /** Tokens of the longest prefix seen before. */
  readTokens: number;
  /** Tokens of the longest prefix newly stored beyond what was read. */
  writeTokens: number;
}

export class PromptCache {
  // Insertion-ordered, so the oldest prefix is evicted first when full.
  private readonly seen = new Map<string, true>();

  constructor(private readonly maxEntries = 200_000) {}

  /** Looks the prefixes (shortest first) up, then remembers all of them. */
  use(prefixes: readonly PromptPrefix[]): CacheOutcome {
    if (prefixes.length === 0) return { readTokens: 0, writeTokens: 0 };
    let readTokens = 0;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      if (this.seen.has(prefixes[i].key)) {
        readTokens = prefixes[i].tokens;
        break;
      }
    }
    for (const p of prefixes) this.remember(p.key);
    return { readTokens, writeTokens: prefixes[prefixes.length - 1].tokens - readTokens };
  }

  clear(): void {
    this.seen.clear();
  }

  private remember(key: string): void {
    if (this.seen.has(key)) return;
    if (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, true);
  }
}
