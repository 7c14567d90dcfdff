// Recognises `INSERT INTO [TABLE] name [(columns)] [SETTINGS k = v, …] FORMAT fmt`, the
// statement clients send with the rows in the request body.
import { tokenize, type Token } from './sql-lexer.ts';

export interface InsertStatement {
  table: string;
  columns?: string[];
  settings: Record<string, string>;
  format: string;
}

/** Returns the parts of an INSERT … FORMAT statement, or undefined for any other statement. */
export function parseInsertStatement(sql: string): InsertStatement | undefined {
  const tokens = tokenize(sql);
  let i = 0;
  const word = (value: string) => tokens[i]?.kind === 'word' && tokens[i]!.value === value && ++i > 0;
  const punct = (value: string) => tokens[i]?.kind === 'punct' && tokens[i]!.value === value && ++i > 0;
  const name = (): string | undefined => {
    const t = tokens[i];
    if (t?.kind !== 'word' && t?.kind !== 'quoted_identifier') return undefined;
    i++;
    return identifier(sql, t);
  };

  if (!word('INSERT') || !word('INTO')) return undefined;
  word('TABLE');
  let table = name();
  if (table === undefined) return undefined;
  if (punct('.')) {
    const inner = name();
    if (inner === undefined) return undefined;
    table = `${table}.${inner}`;
  }
  let columns: string[] | undefined;
  if (punct('(')) {
    columns = [];
    do {
      let column = name();
      // Nested columns are named with a dot: `Events.Timestamp`.
      while (column !== undefined && punct('.')) {
        const part = name();
        column = part === undefined ? undefined : `${column}.${part}`;
      }
      if (column === undefined) return undefined;
      columns.push(column);
    } while (punct(','));
    if (!punct(')')) return undefined;
  }
  const settings: Record<string, string> = {};
  if (word('SETTINGS')) {
    do {
      const key = name();
      if (key === undefined || !punct('=')) return undefined;
      const value = tokens[i++];
      if (!value || (value.kind !== 'number' && value.kind !== 'string' && value.kind !== 'word')) return undefined;
      settings[key] = value.kind === 'word' ? sql.slice(value.start, value.end) : value.value;
    } while (punct(','));
  }
  if (!word('FORMAT')) return undefined;
  const format = name();
  if (format === undefined || i !== tokens.length) return undefined;
  return { table, columns, settings, format };
}

function identifier(sql: string, token: Token): string {
  return token.kind === 'word' ? sql.slice(token.start, token.end) : token.value;
}
