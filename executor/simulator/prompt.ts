// One pass over the prompt computes everything the simulated answer depends on: input
// tokens, the hash the answer is derived from, cacheable prefixes and directives.
import { createHash } from 'node:crypto';
import { readDirectives, type Directives } from './directives.ts';

/** A piece of prompt text in request order: a system block, a message's text or a content part. */
export interface PromptPiece {
  role: string;
  text: string;
  /** The prefix ending after this piece is written to the cache (OpenAI: every message end; Anthropic: a `cache_control` breakpoint). */
  boundary: boolean;
  /** Instructions worth scanning for a request for JSON (system prompt, last message). */
  instructs: boolean;
}

/** A prompt prefix: its identity (model included), its size and whether it is written to the cache. */
export interface PromptPrefix {
  key: string;
  tokens: number;
  store: boolean;
}

export interface PromptAnalysis {
  inputTokens: number;
  /**
   * Prefixes of at least the provider's minimum size ending at a piece, up to the last
   * cache write point, shortest first. All are looked up (like Anthropic's look-back over
   * earlier blocks); only write points are stored.
   */
  prefixes: PromptPrefix[];
  /** Hash of model + every piece; the answer is derived from it. */
  digest: Buffer;
  directives: Directives;
  asksForJson: boolean;
}

/** The simulator's tokenizer: one token per 4 characters, rounded up, per piece. */
export function tokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

const JSON_WORD = /\bjson\b/i;

function lastWritePoint(pieces: readonly PromptPiece[]): number {
  for (let i = pieces.length - 1; i >= 0; i--) if (pieces[i].boundary) return i;
  return -1;
}

/** Throws DirectiveError when a piece carries a malformed directive. */
export function analysePrompt(model: string, pieces: readonly PromptPiece[], minPrefixTokens: number): PromptAnalysis {
  const hash = createHash('sha256').update(model);
  const prefixes: PromptPrefix[] = [];
  const directives: Directives = {};
  const lastWrite = lastWritePoint(pieces);
  let inputTokens = 0;
  let asksForJson = false;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    hash.update(`\u0000${piece.role}\u0000`).update(piece.text);
    inputTokens += tokenCount(piece.text);
    if (i <= lastWrite && inputTokens > 0 && inputTokens >= minPrefixTokens) {
      prefixes.push({ key: hash.copy().digest('base64'), tokens: inputTokens, store: piece.boundary });
    }
    if (piece.instructs && !asksForJson) asksForJson = JSON_WORD.test(piece.text);
    readDirectives(piece.text, directives);
  }
  return { inputTokens, prefixes, digest: hash.digest(), directives, asksForJson };
}
