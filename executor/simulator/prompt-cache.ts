// Provider prompt caching as seen from the client: a prefix sent before (to the same
// model, within this server's lifetime) is a cache read, a new one a cache write.
import type { PromptPrefix } from './prompt.ts';

export interface CacheOutcome {
  /** Tokens of the longest prefix seen before. */
  readTokens: number;
  /** Tokens of the longest stored prefix beyond what was read. */
  writeTokens: number;
}

export class PromptCache {
  // Insertion-ordered, so the oldest prefix is evicted first when full.
  private readonly seen = new Map<string, true>();

  constructor(private readonly maxEntries = 200_000) {}

  /** Looks the prefixes (shortest first) up, then stores those marked `store`. */
  use(prefixes: readonly PromptPrefix[]): CacheOutcome {
    let readTokens = 0;
    for (let i = prefixes.length - 1; i >= 0; i--) {
      if (this.seen.has(prefixes[i].key)) {
        readTokens = prefixes[i].tokens;
        break;
      }
    }
    let storedTokens = 0;
    for (const p of prefixes) {
      if (!p.store) continue;
      this.remember(p.key);
      storedTokens = p.tokens;
    }
    return { readTokens, writeTokens: Math.max(0, storedTokens - readTokens) };
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
