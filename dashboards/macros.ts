// Expands a panel's SQL the way Grafana and the ClickHouse datasource
// (grafana-clickhouse-datasource) do before ClickHouse sees it, so tests can run the
// dashboards' queries on a real engine. Order and semantics follow the plugin:
//   1. frontend `applyConditionalAll` (src/data/CHDatasource.ts),
//   2. Grafana template-variable interpolation with the plugin's default formatter,
//   3. backend macros (pkg/macros/macros.go on top of grafana/macropro).

export const ALL_VALUE = '$__all';

export type VariableValue = string | readonly string[];

export interface TemplateVariable {
  name: string;
  /** Selected value(s); `$__all` (or `['$__all']`) selects All. */
  current: VariableValue;
  /** Every option the variable offers, used when All is selected without a custom all value. */
  options?: readonly string[];
  /** A custom all value, inserted verbatim when All is selected. */
  allValue?: string;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface QueryContext {
  range: TimeRange;
  /** The query interval Grafana computed for the panel, in milliseconds. */
  intervalMs: number;
  variables: readonly TemplateVariable[];
}

/** The whole pipeline a panel query goes through, in Grafana's order. */
export function expandQuery(sql: string, ctx: QueryContext): string {
  const withConditions = applyConditionalAll(sql, ctx.variables);
  const interpolated = interpolateVariables(withConditions, ctx.variables);
  return expandMacros(interpolated, ctx);
}

// ---------------------------------------------------------------- $__conditionalAll

const CONDITIONAL_ALL = '$__conditionalAll(';

/**
 * `$__conditionalAll(condition, $var)` becomes `1=1` when `$var` selects All (or
 * nothing), else `condition`. Innermost/last occurrences first, like the plugin.
 */
export function applyConditionalAll(sql: string, variables: readonly TemplateVariable[]): string {
  let query = sql;
  let at = query.lastIndexOf(CONDITIONAL_ALL);
  while (at !== -1) {
    const params = macroArgs(query, at + CONDITIONAL_ALL.length - 1);
    if (params.length !== 2) {
      // The plugin gives up and sends the macro on, which ClickHouse rejects; fail early instead.
      throw new Error(`$__conditionalAll expects 2 arguments (condition, $variable), got ${params.length} at offset ${at}`);
    }
    const [condition, variableParam] = params as [string, string];
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(variableParam.trim())?.[0];
    let phrase = condition;
    if (name !== undefined) {
      const variable = variables.find((v) => v.name === name);
      const value = variable === undefined ? undefined : String(variable.current);
      if (value === '' || value === ALL_VALUE) phrase = '1=1';
    }
    query = query.replace(`${CONDITIONAL_ALL}${condition},${variableParam})`, phrase);
    at = query.lastIndexOf(CONDITIONAL_ALL);
  }
  return query;
}

/** The plugin's `getMacroArgs`: split at top-level commas up to the matching `)`, untrimmed. */
function macroArgs(query: string, openParen: number): string[] {
  const args: string[] = [];
  const rest = query.slice(openParen);
  let depth = 0;
  let argStart = 1;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 1) {
      args.push(rest.slice(argStart, i));
      argStart = i + 1;
    }
    if (depth === 0) {
      args.push(rest.slice(argStart, i));
      return args;
    }
  }
  return [];
}

// ---------------------------------------------------------------- template variables

// Grafana's variable syntax: $var, [[var]], [[var:fmt]], ${var}, ${var.path}, ${var:fmt}.
const VARIABLE_PATTERN = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

type Formatter = (value: VariableValue) => string;

const quoteEach = (quote: string, escaped: string) => (value: VariableValue): string => {
  const one = (v: string) => `${quote}${v.replaceAll(quote, escaped)}${quote}`;
  return typeof value === 'string' ? one(value) : value.map(one).join(',');
};

/** Grafana's format registry, for the formats that make sense in SQL. */
const FORMATS: Record<string, Formatter> = {
  singlequote: quoteEach("'", "\\'"),
  doublequote: quoteEach('"', '\\"'),
  sqlstring: quoteEach("'", "''"),
  csv: (value) => (typeof value === 'string' ? value : value.join(',')),
  raw: (value) => (typeof value === 'string' ? value : value.join(',')),
};

/** The ClickHouse datasource's own formatter, used when no `:format` is given. */
const datasourceFormat: Formatter = (value) => (typeof value === 'string' ? value : `'${value.join("','")}'`);

export function interpolateVariables(sql: string, variables: readonly TemplateVariable[]): string {
  return sql.replace(VARIABLE_PATTERN, (match: string, ...groups: (string | undefined)[]) => {
    const [dollarName, bracketName, bracketFormat, braceName, fieldPath, braceFormat] = groups;
    const name = (dollarName ?? bracketName ?? braceName) as string;
    const variable = variables.find((v) => v.name === name);
    if (variable === undefined) return match; // built-ins and macros ($__timeFilter, …) pass through
    if (fieldPath !== undefined) throw new Error(`variable field paths are not supported: ${match}`);
    const formatName: string | undefined = bracketFormat ?? braceFormat;
    const format = formatName === undefined ? datasourceFormat : FORMATS[formatName];
    if (format === undefined) throw new Error(`unsupported variable format "${formatName}" in ${match}`);
    if (String(variable.current) !== ALL_VALUE) return format(variable.current);
    // A custom all value is inserted verbatim whatever the format (Grafana's CustomAllValue).
    if (variable.allValue !== undefined) return variable.allValue;
    if (variable.options === undefined) throw new Error(`variable "${name}" selects All but lists no options`);
    return format(variable.options);
  });
}

// ---------------------------------------------------------------- backend macros

type Macro = (args: string[], ctx: QueryContext) => string;

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);
const toDateTime = (d: Date) => `toDateTime(${unixSeconds(d)})`;
const toDateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${Math.trunc(d.getTime())})`;
const intervalSeconds = (ctx: QueryContext) => Math.trunc(Math.max(ctx.intervalMs / 1000, 1));

function oneArg(macro: string, render: (col: string, ctx: QueryContext) => string): Macro {
  return (args, ctx) => {
    if (args.length !== 1) throw new Error(`${macro} expected 1 argument(s), received ${args.length}`);
    return render(args[0] as string, ctx);
  };
}

const MACROS: Record<string, Macro> = {
  timeFilter: oneArg('$__timeFilter', (col, { range }) =>
    `${col} >= ${toDateTime(range.from)} AND ${col} <= ${toDateTime(range.to)}`),
  timeFilter_ms: oneArg('$__timeFilter_ms', (col, { range }) =>
    `${col} >= ${toDateTime64(range.from)} AND ${col} <= ${toDateTime64(range.to)}`),
  timeFrom: oneArg('$__timeFrom', (col, { range }) => `${col} >= ${toDateTime(range.from)}`),
  timeTo: oneArg('$__timeTo', (col, { range }) => `${col} <= ${toDateTime(range.to)}`),
  fromTime: (_, { range }) => toDateTime(range.from),
  toTime: (_, { range }) => toDateTime(range.to),
  fromTime_ms: (_, { range }) => toDateTime64(range.from),
  toTime_ms: (_, { range }) => toDateTime64(range.to),
  timeInterval: oneArg('$__timeInterval', (col, ctx) =>
    `toStartOfInterval(toDateTime(${col}), INTERVAL ${intervalSeconds(ctx)} second)`),
  timeInterval_ms: oneArg('$__timeInterval_ms', (col, ctx) =>
    `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.trunc(Math.max(ctx.intervalMs, 1))} millisecond)`),
  interval_s: (_, ctx) => String(intervalSeconds(ctx)),
  interval_ms: (_, ctx) => String(Math.trunc(ctx.intervalMs)),
};

// Longest names first so $__timeFilter_ms is never read as $__timeFilter (macropro does the same).
const MACRO_NAMES = Object.keys(MACROS).sort((a, b) => b.length - a.length || a.localeCompare(b));

/** Backend expansion: strip comments, then replace every known `$__name` / `$__name(args)`. */
export function expandMacros(sql: string, ctx: QueryContext): string {
  let query = stripComments(sql);
  for (const name of MACRO_NAMES) query = replaceMacro(query, `$__${name}`, (args) => (MACROS[name] as Macro)(args, ctx));
  return query;
}

function replaceMacro(sql: string, token: string, render: (args: string[]) => string): string {
  let out = '';
  let rest = sql;
  for (let at = rest.indexOf(token); at !== -1; at = rest.indexOf(token)) {
    const after = at + token.length;
    if (after < rest.length && /\w/.test(rest[after] as string)) {
      out += rest.slice(0, after); // a longer name that merely starts with this one
      rest = rest.slice(after);
      continue;
    }
    out += rest.slice(0, at);
    rest = rest.slice(after);
    let raw = '';
    if (rest.startsWith('(')) {
      const close = closingParen(rest);
      if (close !== -1) {
        raw = rest.slice(1, close);
        rest = rest.slice(close + 1);
      }
    }
    out += render(splitArgs(raw, token));
  }
  return out + rest;
}

/** Index just past a quoted literal or identifier starting at `start` ('…', "…", `…`; doubled or backslash escapes). */
function skipQuoted(s: string, start: number): number {
  const quote = s[start];
  for (let i = start + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === quote) {
      if (s[i + 1] !== quote) return i + 1;
      i++;
    }
  }
  return s.length;
}

const isQuote = (c: string | undefined) => c === "'" || c === '"' || c === '`';

function closingParen(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; ) {
    const c = s[i];
    if (isQuote(c)) {
      i = skipQuoted(s, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
    i++;
  }
  return -1;
}

function splitArgs(raw: string, token: string): string[] {
  const text = raw.trim();
  if (text === '') return [];
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (isQuote(c)) {
      i = skipQuoted(text, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
    i++;
  }
  if (depth !== 0) throw new Error(`macro ${token}: unbalanced parentheses in arguments`);
  args.push(text.slice(start).trim());
  return args;
}

/** Blanks `--` and `/* *\/` comments outside literals, keeping offsets (macropro.StripComments). */
export function stripComments(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    if (isQuote(c)) {
      const end = skipQuoted(sql, i);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    let end = -1;
    if (c === '-' && sql[i + 1] === '-') {
      end = sql.slice(i).search(/[\r\n]/);
      end = end === -1 ? sql.length : i + end;
    } else if (c === '/' && sql[i + 1] === '*') {
      end = sql.indexOf('*/', i + 2);
      end = end === -1 ? sql.length : end + 2;
    }
    if (end === -1) {
      out += c;
      i++;
    } else {
      out += ' '.repeat(end - i);
      i = end;
    }
  }
  return out;
}
