// Token arithmetic per the GenAI semconv: `input` includes cache reads and writes,
// `output` includes reasoning. Producers that follow another convention say so through
// `UsageConvention`; the result is always in semconv terms.
import type { TokenUsage } from '../../core/span.ts';

export interface RawUsage {
  input: number | undefined;
  output: number | undefined;
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  reasoning: number | undefined;
}

export interface UsageConvention {
  /** The producer's input count leaves out cache reads and writes (Anthropic's API convention). */
  inputExcludesCache: boolean;
  /** The producer's output count leaves out reasoning tokens (Gemini's API convention). */
  outputExcludesReasoning: boolean;
}

export const SEMCONV_CONVENTION: UsageConvention = { inputExcludesCache: false, outputExcludesReasoning: false };
export const INPUT_EXCLUDES_CACHE: UsageConvention = { inputExcludesCache: true, outputExcludesReasoning: false };

/**
 * Usage in semconv terms, or undefined when the span reports neither input nor output.
 * Whatever the declared convention, a count smaller than its own parts proves the parts
 * were left out, so they are added (never a negative uncached remainder).
 */
export function toSemconvUsage(raw: RawUsage, convention: UsageConvention): TokenUsage | undefined {
  if (raw.input === undefined && raw.output === undefined) return undefined;
  const cacheRead = raw.cacheRead ?? 0;
  const cacheWrite = raw.cacheWrite ?? 0;
  const reasoning = raw.reasoning ?? 0;
  let input = raw.input ?? 0;
  let output = raw.output ?? 0;
  if (convention.inputExcludesCache || input < cacheRead + cacheWrite) input += cacheRead + cacheWrite;
  if (convention.outputExcludesReasoning || output < reasoning) output += reasoning;
  return { input, output, cacheRead, cacheWrite, reasoning };
}
