// One pass over the prompt computes everything the simulated answer depends on: input
// tokens, the hash the answer is derived from, cacheable prefixes and directives.
import { createHash } from 'node:crypto';
import { readDirectives, type Directives } from './directives.ts';

/** A piece of prompt text in request order: a system block, a message's text or a content part. */
export interface PromptPiece {
  role: string;
  text: string;
  /** A cacheable prefix ends after this piece (OpenAI: end of a message; Anthropic: a `cache_control` breakpoint). */
  boundary: boolean;
  /** Instructions worth scanning for a request for JSON (system prompt, last message). */
  instructs: boolean;
}

/** A cacheable prompt prefix: its identity (model included) and its size. */
export interface PromptPrefix {
  key: string;
  tokens: number;
}

export interface PromptAnalysis {
  inputTokens: number;
  /** Prefixes of at least the provider's minimum size, shortest first. */
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

/** Throws DirectiveError when a piece carries a malformed directive. */
export function analysePrompt(model: string, pieces: readonly PromptPiece[], minPrefixTokens: number): PromptAnalysis {
  const hash = createHash('sha256').update(model);
  const prefixes: PromptPrefix[] = [];
  const directives: Directives = {};
  let inputTokens = 0;
  let asksForJson = false;
  for (const piece of pieces) {
    hash.update(`\u0000${piece.role}\u0000`).update(piece.text);
    inputTokens += tokenCount(piece.text);
    if (piece.boundary && inputTokens >= minPrefixTokens && inputTokens > 0) {
      prefixes.push({ key: hash.copy().digest('base64'), tokens: inputTokens });
    }
    if (piece.instructs && !asksForJson) asksForJson = JSON_WORD.test(piece.text);
    readDirectives(piece.text, directives);
  }
  return { inputTokens, prefixes, digest: hash.digest(), directives, asksForJson };
}
