import { describe, expect, it } from 'vitest';
import { PromptCache } from './prompt-cache.ts';

const prefix = (key: string, tokens: number, store = true) => ({ key, tokens, store });

describe('PromptCache', () => {
  it('reads the longest known prefix and writes the rest up to the last write point', () => {
    const cache = new PromptCache();
    expect(cache.use([prefix('a', 10), prefix('ab', 25)])).toEqual({ readTokens: 0, writeTokens: 25 });
    expect(cache.use([prefix('a', 10), prefix('ac', 30, false), prefix('acd', 40)])).toEqual({ readTokens: 10, writeTokens: 30 });
    // 'ac' was only looked up, never stored.
    expect(cache.use([prefix('ac', 30)])).toEqual({ readTokens: 0, writeTokens: 30 });
  });

  it('evicts the oldest prefix when full', () => {
    const cache = new PromptCache(2);
    cache.use([prefix('a', 1), prefix('b', 2), prefix('c', 3)]);
    expect(cache.use([prefix('a', 1, false)]).readTokens).toBe(0);
    expect(cache.use([prefix('b', 2, false)]).readTokens).toBe(2);
  });
});
