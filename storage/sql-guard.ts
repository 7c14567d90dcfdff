// Read-only enforcement for SQL typed by users (`flowtrace sql`, the ClickHouse HTTP
// interface). The statement is inspected here first, for a clear refusal that names
// what was refused; the engine then runs it with `readonly=1` as the second line of
// defence (see ChdbStore.execute / ClickHouseServerStore.execute). Some things the
// engine allows in readonly mode are refused here because they reach outside the
// store: `INTO OUTFILE` (a client-side file write) and functions such as `file()`.
import { splitStatements, SqlSyntaxError, type Token } from './sql-lexer.ts';

const READ_KINDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);
/** Statements that change something; any other first word is not a statement at all. */
const WRITE_KINDS = new Set([
  'INSERT', 'CREATE', 'DROP', 'ALTER', 'ATTACH', 'DETACH', 'TRUNCATE', 'RENAME', 'EXCHANGE', 'OPTIMIZE', 'SET', 'USE',
  'KILL', 'SYSTEM', 'GRANT', 'REVOKE', 'DELETE', 'UPDATE', 'CHECK', 'BACKUP', 'RESTORE', 'UNDROP', 'MOVE', 'WATCH',
  'BEGIN', 'COMMIT', 'ROLLBACK', 'REPLACE', 'UPSERT', 'MERGE', 'COPY', 'LOAD', 'PARALLEL', 'EXECUTE',
]);
const ALLOWED = '(SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS)';
/** Statement kinds named with their object, e.g. `DROP TABLE`, `SYSTEM FLUSH`. */
const TWO_WORD_KINDS = new Set(['CREATE', 'DROP', 'ALTER', 'ATTACH', 'DETACH', 'TRUNCATE', 'RENAME', 'SYSTEM', 'UNDROP', 'EXCHANGE']);

/**
 * Functions that read or write outside the FlowTrace store (files, URLs, other
 * servers, processes) or across databases. Most are also blocked by `readonly=1`,
 * but not all of them (`file()` reads local files in readonly mode).
 */
const EXTERNAL_FUNCTIONS = new Set([
  'FILE', 'FILECLUSTER', 'URL', 'URLCLUSTER', 'S3', 'S3CLUSTER', 'GCS', 'OSS', 'COSN', 'AZUREBLOBSTORAGE',
  'AZUREBLOBSTORAGECLUSTER', 'HDFS', 'HDFSCLUSTER', 'REMOTE', 'REMOTESECURE', 'CLUSTER', 'CLUSTERALLREPLICAS',
  'MYSQL', 'POSTGRESQL', 'MONGODB', 'REDIS', 'SQLITE', 'ODBC', 'JDBC', 'EXECUTABLE', 'EXECUTABLEPOOL',
  'ICEBERG', 'ICEBERGS3', 'ICEBERGAZURE', 'ICEBERGHDFS', 'ICEBERGLOCAL', 'DELTALAKE', 'DELTALAKELOCAL',
  'DELTALAKES3', 'DELTALAKEAZURE', 'HUDI', 'PAIMON', 'MERGE', 'DICTIONARY', 'ARROWFLIGHT', 'YTSAURUS', 'LOOP',
]);

/** System tables that describe the schema (needed by SQL clients and Grafana's query builder). */
const SCHEMA_SYSTEM_TABLES = new Set(['DATABASES', 'TABLES', 'COLUMNS', 'FUNCTIONS', 'DATA_TYPE_FAMILIES', 'ONE', 'NUMBERS']);
/** SHOW statements that only describe the schema. */
const SCHEMA_SHOW_KINDS = new Set(['DATABASES', 'TABLES', 'COLUMNS', 'FIELDS', 'CREATE', 'INDEX', 'INDEXES', 'INDICES', 'KEYS', 'DICTIONARIES', 'FUNCTIONS', 'FULL', 'EXTENDED', 'TEMPORARY']);

/** What user SQL may touch in `system.*`: everything, the schema-describing tables only, or nothing. */
export type SystemTablePolicy = 'allow' | 'schema' | 'refuse';

export interface SqlGuardOptions {
  /** Default `allow`. */
  systemTables?: SystemTablePolicy;
}

export interface StatementInfo {
  /** The statement kind as the user wrote it, e.g. `SELECT`, `DROP TABLE`, `INSERT`. */
  kind: string;
  /** The format named by a trailing `FORMAT <name>` clause, if any. */
  format?: string;
  /** The statement without a trailing semicolon. */
  text: string;
}

/** Why a statement was refused: it could not be checked, it writes, or it reaches what is not exposed. */
export type ViolationReason = 'syntax' | 'write' | 'access';

export class ReadOnlyViolation extends Error {
  constructor(
    message: string,
    readonly kind: string,
    readonly reason: ViolationReason,
  ) {
    super(message);
    this.name = 'ReadOnlyViolation';
  }
}

/** Inspects exactly one statement (refusing several or none) without judging it. */
export function inspectStatement(sql: string): StatementInfo & { tokens: Token[] } {
  let statements;
  try {
    statements = splitStatements(sql);
  } catch (err) {
    if (err instanceof SqlSyntaxError) throw new ReadOnlyViolation(`cannot check the query: ${err.message}`, 'UNKNOWN', 'syntax');
    throw err;
  }
  if (statements.length === 0) throw new ReadOnlyViolation('the query is empty', 'EMPTY', 'syntax');
  if (statements.length > 1) {
    throw new ReadOnlyViolation(`only one statement per query is allowed, found ${statements.length}`, 'MULTIPLE', 'syntax');
  }
  const { text, tokens } = statements[0]!;
  return { kind: statementKind(tokens), format: formatClause(tokens, text), text, tokens };
}

/** Returns the statement's info when it only reads; throws ReadOnlyViolation naming what was refused. */
export function assertReadOnly(sql: string, options: SqlGuardOptions = {}): StatementInfo {
  const { tokens, ...info } = inspectStatement(sql);
  const leading = info.kind.split(' ')[0]!;
  if (WRITE_KINDS.has(leading)) {
    throw new ReadOnlyViolation(`${info.kind} statements are not allowed: SQL here is read-only ${ALLOWED}`, info.kind, 'write');
  }
  if (!READ_KINDS.has(leading)) {
    throw new ReadOnlyViolation(`${info.kind} does not start a statement SQL here accepts ${ALLOWED}`, info.kind, 'syntax');
  }
  refuseOutfile(tokens, info.kind);
  refuseExternalFunctions(tokens, info.kind);
  const policy = options.systemTables ?? 'allow';
  if (policy !== 'allow') refuseSystemTables(tokens, info.kind, policy);
  return info;
}

function statementKind(tokens: Token[]): string {
  let i = 0;
  while (tokens[i]?.kind === 'punct' && tokens[i]!.value === '(') i++;
  const first = tokens[i];
  if (!first || first.kind !== 'word') return first ? 'UNKNOWN' : 'EMPTY';
  const second = tokens[i + 1];
  if (TWO_WORD_KINDS.has(first.value) && second?.kind === 'word') return `${first.value} ${second.value}`;
  return first.value;
}

function formatClause(tokens: Token[], text: string): string | undefined {
  // `FORMAT <name>` ends the statement, optionally followed by a SETTINGS clause.
  for (let i = tokens.length - 2; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.kind !== 'word' || t.value !== 'FORMAT') continue;
    const name = tokens[i + 1]!;
    const after = tokens[i + 2];
    if ((name.kind === 'word' || name.kind === 'quoted_identifier') && (!after || (after.kind === 'word' && after.value === 'SETTINGS'))) {
      return name.kind === 'word' ? text.slice(name.start, name.end) : name.value;
    }
  }
  return undefined;
}

function refuseOutfile(tokens: Token[], kind: string): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (isWord(tokens[i], 'INTO') && isWord(tokens[i + 1], 'OUTFILE')) {
      throw new ReadOnlyViolation(`INTO OUTFILE is not allowed: it writes a file (in a ${kind} statement)`, kind, 'write');
    }
  }
}

function refuseExternalFunctions(tokens: Token[], kind: string): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'word' && EXTERNAL_FUNCTIONS.has(t.value) && isPunct(tokens[i + 1], '(') && !isPunct(tokens[i - 1], '.')) {
      throw new ReadOnlyViolation(`${t.value.toLowerCase()}() is not allowed: it reaches outside the FlowTrace store (in a ${kind} statement)`, kind, 'access');
    }
  }
}

function refuseSystemTables(tokens: Token[], kind: string, policy: Exclude<SystemTablePolicy, 'allow'>): void {
  const allowed = (table: string) => policy === 'schema' && SCHEMA_SYSTEM_TABLES.has(table.toUpperCase());
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = t.kind === 'word' ? t.value : t.kind === 'quoted_identifier' ? t.value.toUpperCase() : undefined;
    if (name !== 'SYSTEM' && name !== 'INFORMATION_SCHEMA') continue;
    const table = tokens[i + 2];
    if (isPunct(tokens[i + 1], '.') && table && !isPunct(tokens[i - 1], '.')) {
      const tableName = table.kind === 'word' ? table.value.toLowerCase() : table.value;
      if (name === 'SYSTEM' && allowed(tableName)) continue;
      throw new ReadOnlyViolation(`${name.toLowerCase()}.${tableName} is not allowed: system tables are not exposed here`, kind, 'access');
    }
    // `SHOW TABLES FROM system`, `SHOW TABLES IN information_schema`.
    if (isWord(tokens[i - 1], 'FROM') || isWord(tokens[i - 1], 'IN')) {
      throw new ReadOnlyViolation(`the ${name.toLowerCase()} database is not exposed here`, kind, 'access');
    }
  }
  // Other SHOW statements (PROCESSLIST, SETTINGS, USERS, GRANTS, …) read system tables.
  if (isWord(tokens[0], 'SHOW')) {
    const what = tokens[1]?.kind === 'word' ? tokens[1].value : '';
    if (!SCHEMA_SHOW_KINDS.has(what)) {
      throw new ReadOnlyViolation(`SHOW ${what} is not allowed: it reads system tables that are not exposed here`, kind, 'access');
    }
  }
}

const isWord = (t: Token | undefined, value: string) => t?.kind === 'word' && t.value === value;
const isPunct = (t: Token | undefined, value: string) => t?.kind === 'punct' && t.value === value;
