// Exact-match cache keys. The request part (system, prompt, parameters, inputs — possibly
// large) is canonicalised and hashed once per step; each target's key then hashes only
// that digest with the provider and model.
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

// Sorted keys at every level; a cycle or a BigInt in the inputs is an error, not a silent variant.
const canonicalJson = configure({ deterministic: true, circularValue: TypeError, bigint: false, strict: true });

export interface CacheRequestParts {
  system?: string;
  prompt: string;
  parameters: { temperature?: number; maxTokens?: number };
  inputs: Record<string, unknown>;
}

const KEY_VERSION = 1;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of the canonical JSON of everything but the target. */
export function requestDigest(parts: CacheRequestParts): string {
  return sha256(canonicalJson({ system: parts.system, prompt: parts.prompt, parameters: parts.parameters, inputs: parts.inputs }) as string);
}

/** sha256 of the canonical JSON of (version, provider, model, request digest): the entry's name. */
export function cacheKey(provider: string, model: string, digest: string): string {
  return sha256(canonicalJson({ v: KEY_VERSION, provider, model, request: digest }) as string);
}
