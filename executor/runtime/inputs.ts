// A run's inputs: what the caller supplied, completed with the workflow's declared defaults.
import { formatIssue, type ValidationIssue } from '../spec/issues.ts';
import type { WorkflowSpec } from '../spec/types.ts';

export class RunInputError extends Error {
  override name = 'RunInputError';
  constructor(readonly issues: ValidationIssue[]) {
    super(`invalid run inputs\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
  }
}

/** Supplied inputs plus defaults; throws RunInputError naming every unknown or missing input. */
export function resolveInputs(spec: WorkflowSpec, supplied: Record<string, unknown> = {}): Record<string, unknown> {
  const declared = spec.inputs ?? {};
  const issues: ValidationIssue[] = [];
  for (const name of Object.keys(supplied)) {
    if (!Object.hasOwn(declared, name)) {
      issues.push({ path: `inputs.${name}`, message: `not declared by the workflow (declared: ${Object.keys(declared).join(', ') || 'none'})` });
    }
  }
  const inputs: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(declared)) {
    if (Object.hasOwn(supplied, name)) inputs[name] = supplied[name];
    else if (Object.hasOwn(declaration, 'default')) inputs[name] = declaration.default;
    else if (declaration.required !== false) {
      issues.push({ path: `inputs.${name}`, message: `required${declaration.description ? ` (${declaration.description})` : ''}` });
    }
  }
  if (issues.length) throw new RunInputError(issues);
  return inputs;
}
