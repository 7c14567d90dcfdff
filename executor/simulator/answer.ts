// The simulated model's answer: short, plausible and a pure function of the prompt hash
// and directives, so the same request always gets the same text and usage.
import type { Directives } from './directives.ts';
import { tokenCount } from './prompt.ts';

const OPENINGS = [
  'Here is a concise answer.',
  'Short version:',
  'Based on the input,',
  'In summary,',
  'After reviewing the details,',
  'To answer directly,',
  'Looking at the request,',
  'From what is provided,',
];
const FINDINGS = [
  'the task splits into three independent steps that can run in order.',
  'the most likely cause is a configuration mismatch between the two services.',
  'the data supports the first option, with moderate confidence.',
  'the request is valid and can be completed without further input.',
  'the key constraint is latency, so caching the lookup is the best first move.',
  'the summary is that revenue grew while costs stayed flat.',
  'the safest path is to retry once and then fall back to the secondary source.',
  'there is not enough evidence to prefer one branch over the other.',
];
const CLOSINGS = ['', 'Let me know if more detail is needed.', 'This covers the main points.', 'Further checks are optional.'];

export interface AnswerInput {
  digest: Buffer;
  directives: Directives;
  /** Wrap the answer as `{"answer": ...}` (JSON requested by API parameter or prompt). */
  json: boolean;
  /** The model reports reasoning tokens for this request. */
  reasoning: boolean;
  /** Output budget (reasoning included); beyond it the text is cut and the finish reason is "length". */
  maxOutputTokens?: number;
}

export interface Answer {
  text: string;
  /** Output tokens, reasoning included. */
  outputTokens: number;
  reasoningTokens: number;
  truncated: boolean;
}

function pick<T>(items: readonly T[], digest: Buffer, offset: number): T {
  return items[digest.readUInt32BE(offset) % items.length];
}

function sentence(digest: Buffer): string {
  const closing = pick(CLOSINGS, digest, 8);
  return `${pick(OPENINGS, digest, 0)} ${pick(FINDINGS, digest, 4)}${closing ? ` ${closing}` : ''}`;
}

/** Exactly `tokens` tokens of prose, repeating the hashed sentence. */
function sized(digest: Buffer, tokens: number): string {
  const chars = tokens * 4;
  const base = `${sentence(digest)} `;
  return base.repeat(Math.ceil(chars / base.length)).slice(0, chars);
}

function baseText(input: AnswerInput): string {
  const { digest, directives } = input;
  if (directives.answer !== undefined) return directives.answer;
  const text = directives.choose
    ? pick(directives.choose, digest, 12)
    : directives.tokens !== undefined
      ? sized(digest, directives.tokens)
      : sentence(digest);
  return input.json ? JSON.stringify({ answer: text }) : text;
}

export function composeAnswer(input: AnswerInput): Answer {
  let text = baseText(input);
  let reasoningTokens = input.reasoning ? (input.directives.reasoning ?? 32 + (input.digest.readUInt16BE(16) % 224)) : 0;
  let truncated = false;
  const max = input.maxOutputTokens;
  if (max !== undefined && reasoningTokens + tokenCount(text) > max) {
    reasoningTokens = Math.min(reasoningTokens, max);
    text = text.slice(0, (max - reasoningTokens) * 4);
    truncated = true;
  }
  return { text, outputTokens: tokenCount(text) + reasoningTokens, reasoningTokens, truncated };
}

/** Splits the answer into stream deltas of one word each (leading whitespace kept), in order. */
export function streamChunks(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}
