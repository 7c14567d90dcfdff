// Structural validation against workflow.schema.json (JSON Schema draft 2020-12, ajv),
// with ajv's errors rewritten to name the exact place: `nodes[2].config.model: required`.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import { childPath, type ValidationIssue } from './issues.ts';

export const WORKFLOW_SCHEMA: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('./workflow.schema.json', import.meta.url), 'utf8'),
);

const IDENTIFIER_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';

const ajv = new Ajv2020.default({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validateDocument = ajv.compile(WORKFLOW_SCHEMA);

/** `/nodes/2/config` → `nodes[2].config` */
function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((path, token) => childPath(path, /^\d+$/.test(token) ? Number(token) : token), '');
}

function valueAt(doc: unknown, pointer: string): unknown {
  let value = doc;
  for (const token of pointer.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function toIssue(error: ErrorObject, doc: unknown): ValidationIssue | undefined {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if':
    case 'propertyNames':
      // Wrappers: the specific error of the failing branch / name is reported on its own.
      return undefined;
    case 'required':
      return { path: childPath(path, String(params.missingProperty)), message: 'required' };
    case 'additionalProperties':
      return { path: childPath(path, String(params.additionalProperty)), message: 'unknown property' };
    case 'false schema': {
      const nodeType = valueAt(doc, error.instancePath.replace(/\/[^/]+$/, '/type'));
      return { path, message: typeof nodeType === 'string' ? `not allowed on ${nodeType} nodes` : 'not allowed here' };
    }
    case 'enum':
      return {
        path,
        message: `${describe(valueAt(doc, error.instancePath))} is not one of: ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'const':
      return { path, message: `must be ${describe(params.allowedValue)}` };
    case 'type':
      return { path, message: `must be ${String(params.type)}` };
    case 'pattern': {
      const where = error.propertyName === undefined ? path : childPath(path, error.propertyName);
      const what = error.propertyName === undefined ? '' : 'name ';
      return params.pattern === IDENTIFIER_PATTERN
        ? { path: where, message: `${what}must be an identifier (letters, digits, _ or -, not starting with a digit or -)` }
        : { path: where, message: `${what}must match ${String(params.pattern)}` };
    }
    case 'minLength':
      return { path, message: params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} characters` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

/** Every structural problem of `doc`; empty when it matches the schema. */
export function schemaIssues(doc: unknown): ValidationIssue[] {
  if (validateDocument(doc)) return [];
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of validateDocument.errors ?? []) {
    const issue = toIssue(error, doc);
    if (!issue) continue;
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}
