// Reading typed values out of string-valued span attributes (SpanRecord stores every
// attribute value as a string, arrays as JSON).
import type { Attributes } from '../../core/span.ts';

/** A non-negative token count, or undefined when absent or not a number. */
export function readCount(attributes: Attributes, key: string): number | undefined {
  const raw = attributes[key];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? Math.trunc(value) : undefined;
}

/** The first of `keys` that holds a count. */
export function firstCount(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = readCount(attributes, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The first of `keys` that holds a non-empty string ('' when none does). */
export function firstString(attributes: Attributes, keys: readonly string[]): string {
  for (const key of keys) {
    const value = attributes[key];
    if (value !== undefined && value !== '') return value;
  }
  return '';
}

/** A string-array attribute: JSON (`["stop"]`, how the collector stringifies arrays) or one plain value. */
export function readList(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  if (raw.charCodeAt(0) !== 91 /* [ */) return [raw];
  // Fast path for the common `["stop"]` shape: no escapes to decode.
  if (raw.startsWith('["') && raw.endsWith('"]') && !raw.includes('\\')) return raw.slice(2, -2).split('","');
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) return parsed.filter((item): item is string => typeof item === 'string' && item !== '');
  } catch {
    // Not JSON after all: keep the raw value.
  }
  return [raw];
}

/** The first list-valued attribute of `keys` that is present. */
export function firstList(attributes: Attributes, keys: readonly string[]): string[] {
  for (const key of keys) {
    const list = readList(attributes[key]);
    if (list.length > 0) return list;
  }
  return [];
}
