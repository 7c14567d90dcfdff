// The one entry point for checking a workflow document: schema first, then the semantic
// checks, every problem reported together.
import { readFile } from 'node:fs/promises';
import { WorkflowValidationError, type ValidationIssue } from './issues.ts';
import { schemaIssues } from './schema.ts';
import { DEFAULT_LIMIT_MAXIMA, semanticIssues, type LimitMaxima } from './semantic.ts';
import type { WorkflowSpec } from './types.ts';

export interface ValidateOptions {
  maxima?: Partial<LimitMaxima>;
  /** Tool names tool nodes may use. */
  tools: Iterable<string>;
}

export type ValidationResult = { ok: true; spec: WorkflowSpec } | { ok: false; issues: ValidationIssue[] };

export function validateDocument(doc: unknown, options: ValidateOptions): ValidationResult {
  const issues = [
    ...schemaIssues(doc),
    ...semanticIssues(doc, {
      maxima: { ...DEFAULT_LIMIT_MAXIMA, ...options.maxima },
      tools: new Set(options.tools),
    }),
  ];
  return issues.length === 0 ? { ok: true, spec: doc as WorkflowSpec } : { ok: false, issues };
}

/** Reads and validates a workflow file; throws WorkflowValidationError listing every problem. */
export async function loadDocument(path: string, options: ValidateOptions): Promise<WorkflowSpec> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WorkflowValidationError([{ path: '', message: `not valid JSON: ${(err as Error).message}` }], path);
  }
  const result = validateDocument(doc, options);
  if (!result.ok) throw new WorkflowValidationError(result.issues, path);
  return result.spec;
}
