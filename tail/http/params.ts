// Query and path parameter schemas. Each one fails with a message that says what was
// expected; routes report it as `invalid parameter "<name>": <message>`.
import { z } from 'zod/v4';

/** Type errors: a missing required value, or a repeated parameter (it arrives as an array). */
const SINGLE: z.core.$ZodStringParams = { error: (issue) => (issue.input === undefined ? 'required' : 'expected a single value') };

/** A single text value (a repeated parameter arrives as an array and is refused). */
export function text(description: string, max = 256) {
  return z
    .string(SINGLE)
    .min(1, 'expected a non-empty value')
    .max(max, `expected at most ${max} characters`)
    .describe(description);
}

/** An ISO-8601 time with a date (and a time zone when it has a time); parsed to nanoseconds since the epoch. */
export function isoTime(description: string) {
  const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
  return z
    .string(SINGLE)
    .transform((v, ctx) => {
      const ms = ISO.test(v) ? Date.parse(v) : Number.NaN;
      if (Number.isFinite(ms)) return BigInt(ms) * 1_000_000n;
      ctx.addIssue({ code: 'custom', message: 'expected an ISO-8601 time' });
      return z.NEVER;
    })
    .meta({ description, format: 'date-time', examples: ['2026-03-02T09:00:00Z'] });
}

export function integer(description: string, min: number, max: number) {
  return z
    .string(SINGLE)
    .transform((v, ctx) => {
      const n = /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
      if (n >= min && n <= max) return n;
      ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}` });
      return z.NEVER;
    })
    .describe(description);
}

/** A non-negative decimal amount, kept as text so it reaches ClickHouse exactly. */
export function decimal(description: string) {
  return z
    .string(SINGLE)
    .regex(/^\d{1,20}(\.\d{1,12})?$/, 'expected a non-negative decimal number (at most 12 decimals)')
    .describe(description);
}

/** Splits `a,b` into a set; `accept` says whether one value is allowed. */
function commaSet<T extends string>(problem: string, accept: (value: string) => boolean) {
  return z.string(SINGLE).transform((v, ctx) => {
    const list = v.split(',').map((s) => s.trim());
    if (list.length <= 100 && list.every(accept)) return new Set(list as T[]);
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  });
}

/** A comma-separated list of allowed values (`status=failed,canceled`). */
export function oneOrMore<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  const allowed = new Set<string>(values);
  return commaSet<T[number]>(`expected one or more of ${values.join(', ')} (comma-separated)`, (s) => allowed.has(s)).describe(
    `${description} One or more of ${values.join(', ')}, comma-separated.`,
  );
}

/** A comma-separated list of free values (`service=a,b`). */
export function textList(description: string) {
  return commaSet<string>('expected up to 100 non-empty comma-separated values', (s) => s !== '' && s.length <= 256).describe(
    `${description} Comma-separated for several.`,
  );
}

/** An opaque pagination cursor: base64url of a JSON object the route defines. */
export function cursor<T extends z.ZodType>(shape: T, description: string) {
  return z
    .string(SINGLE)
    .transform((v, ctx) => {
      try {
        const parsed = shape.safeParse(JSON.parse(Buffer.from(v, 'base64url').toString('utf8')));
        if (parsed.success) return parsed.data as z.output<T>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'malformed cursor: pass the next_cursor of a previous page unchanged' });
      return z.NEVER;
    })
    .describe(description);
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
