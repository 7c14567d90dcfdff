// The template grammar shared by validation (which references resolve?) and the run-time
// renderer: `{{node.<id>.output}}`, `{{node.<id>.output.<path>}}`, `{{input.<name>}}`.
import { childPath } from './issues.ts';

export type TemplateRef =
  | { kind: 'node'; nodeId: string; path: string[]; source: string }
  | { kind: 'input'; name: string; path: string[]; source: string };

/** Matches one `{{ ... }}` placeholder; group 1 is the reference inside. */
export const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

const SEGMENT = /^[A-Za-z0-9_-]+$/;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Parses the inside of one placeholder; throws TemplateError for anything outside the grammar. */
export function parseReference(source: string): TemplateRef {
  const parts = source.split('.');
  if (parts.some((part) => !SEGMENT.test(part))) {
    throw new TemplateError(`{{${source}}} is not a reference (expected node.<id>.output[.<path>] or input.<name>)`);
  }
  const [namespace, name, ...rest] = parts;
  if (namespace === 'node' && name !== undefined && rest[0] === 'output') {
    return { kind: 'node', nodeId: name, path: rest.slice(1), source };
  }
  if (namespace === 'input' && name !== undefined) {
    return { kind: 'input', name, path: rest, source };
  }
  throw new TemplateError(`{{${source}}} is not a reference (expected node.<id>.output[.<path>] or input.<name>)`);
}

/** Every placeholder in a text, parsed; bad ones are reported through `onError`. */
export function referencesIn(text: string, onError: (err: TemplateError) => void): TemplateRef[] {
  const refs: TemplateRef[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    try {
      refs.push(parseReference(match[1] ?? ''));
    } catch (err) {
      onError(err as TemplateError);
    }
  }
  return refs;
}

/** The single reference a text consists of, if it is exactly one placeholder (its value is then kept raw, not stringified). */
export function soleReference(text: string): string | undefined {
  const match = /^\s*\{\{\s*([^{}]*?)\s*\}\}\s*$/.exec(text);
  return match?.[1];
}

/** Visits every string inside a JSON value with its path suffix (`.a`, `[0]`). */
export function forEachString(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => forEachString(item, childPath(path, i), visit));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) forEachString(item, childPath(path, key), visit);
  }
}
