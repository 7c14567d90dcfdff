// The operator's maxima for workflow limits, from the environment (validated at the edge):
// FLOWTRACE_MAX_NODES, FLOWTRACE_MAX_TOKENS, FLOWTRACE_MAX_RUN_SECONDS, FLOWTRACE_MAX_BUDGET_USD.
import { DEFAULT_LIMIT_MAXIMA, type LimitMaxima } from '../spec/semantic.ts';

const VARIABLES: Array<[keyof LimitMaxima, string, 'integer' | 'number']> = [
  ['maxNodes', 'FLOWTRACE_MAX_NODES', 'integer'],
  ['maxTokens', 'FLOWTRACE_MAX_TOKENS', 'integer'],
  ['timeoutSeconds', 'FLOWTRACE_MAX_RUN_SECONDS', 'number'],
  ['budgetUsd', 'FLOWTRACE_MAX_BUDGET_USD', 'number'],
];

/** The maxima with any environment overrides; throws naming every invalid variable. */
export function limitMaximaFromEnv(env: NodeJS.ProcessEnv): LimitMaxima {
  const maxima: LimitMaxima = { ...DEFAULT_LIMIT_MAXIMA };
  const problems: string[] = [];
  for (const [key, name, kind] of VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (kind === 'integer' && !Number.isInteger(value))) {
      problems.push(`${name}: expected a positive ${kind}, got "${raw}"`);
    } else {
      maxima[key] = value;
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return maxima;
}
