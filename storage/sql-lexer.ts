// A ClickHouse SQL tokenizer: enough of the engine's lexer to split statements and to
// see which words are keywords, identifiers, function calls and string contents. It
// follows ClickHouse's rules for quoting (backslash escapes and doubled quotes),
// comments (`--`, `#`, nested `/* */`) and heredocs (`$tag$…$tag$`), so text inside a
// string or comment is never mistaken for SQL.

export type TokenKind = 'word' | 'quoted_identifier' | 'string' | 'number' | 'punct';

export interface Token {
  kind: TokenKind;
  /** Source offsets of the token, `sql.slice(start, end)` is its text. */
  start: number;
  end: number;
  /** Words: upper-cased; quoted identifiers and strings: the unquoted content; else the text. */
  value: string;
}

export class SqlSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}

const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordPart = (c: number) => isWordStart(c) || isDigit(c) || c === 36;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/** Splits `sql` into tokens, skipping whitespace and comments. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if ((c === 45 && sql.charCodeAt(i + 1) === 45) || c === 35) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      i = skipBlockComment(sql, i);
    } else if (c === 39 || c === 34 || c === 96) {
      const end = scanQuoted(sql, i);
      tokens.push({
        kind: c === 39 ? 'string' : 'quoted_identifier',
        start: i,
        end,
        value: unquote(sql.slice(i + 1, end - 1), sql[i]!),
      });
      i = end;
    } else if (c === 36 && heredocTag(sql, i) !== undefined) {
      const tag = heredocTag(sql, i)!;
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) throw new SqlSyntaxError(`unterminated heredoc ${tag} starting at position ${i + 1}`, i);
      tokens.push({ kind: 'string', start: i, end: close + tag.length, value: sql.slice(i + tag.length, close) });
      i = close + tag.length;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      const end = scanNumber(sql, i);
      tokens.push({ kind: 'number', start: i, end, value: sql.slice(i, end) });
      i = end;
    } else if (isWordStart(c)) {
      let end = i + 1;
      while (end < n && isWordPart(sql.charCodeAt(end))) end++;
      tokens.push({ kind: 'word', start: i, end, value: sql.slice(i, end).toUpperCase() });
      i = end;
    } else {
      tokens.push({ kind: 'punct', start: i, end: i + 1, value: sql[i]! });
      i++;
    }
  }
  return tokens;
}

function skipBlockComment(sql: string, start: number): number {
  // ClickHouse block comments nest.
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  throw new SqlSyntaxError(`unterminated comment starting at position ${start + 1}`, start);
}

function scanQuoted(sql: string, start: number): number {
  const quote = sql.charCodeAt(start);
  let i = start + 1;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 92) {
      i += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  const what = quote === 39 ? 'string literal' : 'quoted identifier';
  throw new SqlSyntaxError(`unterminated ${what} starting at position ${start + 1}`, start);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', a: '\x07', v: '\v', e: '\x1b' };

function unquote(body: string, quote: string): string {
  if (!body.includes('\\') && !body.includes(quote)) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && i + 1 < body.length) {
      const next = body[++i]!;
      out += ESCAPES[next] ?? next;
    } else if (ch === quote && body[i + 1] === quote) {
      out += quote;
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

function heredocTag(sql: string, start: number): string | undefined {
  const m = /^\$[A-Za-z0-9_]*\$/.exec(sql.slice(start, start + 64));
  return m?.[0];
}

function scanNumber(sql: string, start: number): number {
  const m = /^(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9_]*\.?[0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(sql.slice(start, start + 256));
  return start + Math.max(1, m?.[0].length ?? 1);
}

export interface Statement {
  /** Statement text without the trailing semicolon, trimmed. */
  text: string;
  tokens: Token[];
}

/** Splits a script into statements at top-level semicolons; empty statements are dropped. */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const text = sql.slice(current[0]!.start, current[current.length - 1]!.end);
    statements.push({ text, tokens: current.map((t) => ({ ...t, start: t.start - current[0]!.start, end: t.end - current[0]!.start })) });
    current = [];
  };
  for (const token of tokenize(sql)) {
    if (token.kind === 'punct' && token.value === ';') flush();
    else current.push(token);
  }
  flush();
  return statements;
}
