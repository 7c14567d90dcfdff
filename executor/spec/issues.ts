// How validation reports problems: one issue per problem, each naming the exact place in
// the document (`nodes[2].config.model: required`), all of them at once.

export interface ValidationIssue {
  /** Location in the document, e.g. `nodes[2].config.model`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  return `${issue.path || '(document)'}: ${issue.message}`;
}

/** A workflow that failed validation; `issues` lists every problem found. */
export class WorkflowValidationError extends Error {
  override name = 'WorkflowValidationError';
  constructor(
    readonly issues: ValidationIssue[],
    source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ''}invalid workflow (${issues.length} ${issues.length === 1 ? 'error' : 'errors'})\n` +
        issues.map((issue) => `  ${formatIssue(issue)}`).join('\n'),
    );
  }
}

/** Appends `.key` or `[index]` to a document path. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}
