import { describe, expect, it } from 'vitest';
import { assertReadOnly, inspectStatement, ReadOnlyViolation } from './sql-guard.ts';
import { splitStatements, tokenize } from './sql-lexer.ts';

function refusal(sql: string, options?: Parameters<typeof assertReadOnly>[1]): ReadOnlyViolation {
  try {
    assertReadOnly(sql, options);
  } catch (err) {
    if (err instanceof ReadOnlyViolation) return err;
    throw err;
  }
  throw new Error(`expected ${sql} to be refused`);
}

describe('assertReadOnly', () => {
  it.each([
    'SELECT 1',
    '  select count() from runs;',
    'WITH 1 AS x SELECT x',
    '(SELECT 1) UNION ALL (SELECT 2)',
    'SHOW TABLES',
    'DESCRIBE TABLE llm_calls',
    'DESC span_facts',
    'EXPLAIN SELECT 1',
    'EXISTS TABLE runs',
    "SELECT 'DROP TABLE runs; INSERT INTO x' AS text -- ; DELETE",
    'SELECT 1 /* ; DROP TABLE runs; /* nested */ still comment */',
    "SELECT $$ ; DROP $$ AS heredoc",
    'SELECT `weird;name` FROM runs',
  ])('allows the read %s', (sql) => {
    expect(() => assertReadOnly(sql)).not.toThrow();
  });

  it.each([
    ['INSERT INTO runs VALUES (1)', 'INSERT'],
    ['drop table runs', 'DROP TABLE'],
    ['ALTER TABLE span_facts DELETE WHERE 1', 'ALTER TABLE'],
    ['CREATE TABLE t (a Int8) ENGINE = Memory', 'CREATE TABLE'],
    ['TRUNCATE TABLE otel_traces', 'TRUNCATE TABLE'],
    ['OPTIMIZE TABLE span_facts FINAL', 'OPTIMIZE'],
    ['SET readonly = 0', 'SET'],
    ['USE system', 'USE'],
    ['KILL QUERY WHERE 1', 'KILL'],
    ['SYSTEM FLUSH LOGS', 'SYSTEM FLUSH'],
    ['DELETE FROM span_facts WHERE 1', 'DELETE'],
    ['GRANT ALL ON *.* TO default', 'GRANT'],
  ])('refuses %s, naming the statement kind', (sql, kind) => {
    const err = refusal(sql);
    expect(err.kind).toBe(kind);
    expect(err.reason).toBe('write');
    expect(err.message).toBe(`${kind} statements are not allowed: SQL here is read-only (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS)`);
  });

  it('refuses several statements, even when each one reads', () => {
    const err = refusal('SELECT 1; SELECT 2');
    expect(err.message).toBe('only one statement per query is allowed, found 2');
    expect(err.reason).toBe('syntax');
    expect(refusal('SELECT 1; DROP TABLE runs').message).toBe('only one statement per query is allowed, found 2');
  });

  it('refuses a first word that starts no statement as a syntax error', () => {
    const err = refusal('SELEC 1');
    expect(err.reason).toBe('syntax');
    expect(err.message).toBe('SELEC does not start a statement SQL here accepts (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS)');
  });

  it('refuses what it cannot check and empty input', () => {
    expect(refusal("SELECT 'unterminated").message).toBe('cannot check the query: unterminated string literal starting at position 8');
    expect(refusal('SELECT 1 /* open').message).toBe('cannot check the query: unterminated comment starting at position 10');
    expect(refusal(' ; -- nothing').message).toBe('the query is empty');
  });

  it('refuses INTO OUTFILE and functions that reach outside the store', () => {
    expect(refusal("SELECT * FROM runs INTO OUTFILE '/tmp/x'").message).toBe('INTO OUTFILE is not allowed: it writes a file (in a SELECT statement)');
    expect(refusal("SELECT file('/etc/passwd')").message).toBe('file() is not allowed: it reaches outside the FlowTrace store (in a SELECT statement)');
    expect(refusal("SELECT * FROM url('http://x', CSV)").reason).toBe('access');
    expect(refusal("SELECT * FROM Remote('h', db.t)").message).toMatch(/^remote\(\) is not allowed/);
    expect(refusal("SELECT * FROM merge('system', '.*')").message).toMatch(/^merge\(\) is not allowed/);
    // Names that only look like those functions are fine.
    expect(() => assertReadOnly("SELECT file, url FROM (SELECT 'a' AS file, 'b' AS url)")).not.toThrow();
    expect(() => assertReadOnly("SELECT t.file('x') FROM t")).not.toThrow();
    expect(() => assertReadOnly("SELECT 'file(1)'")).not.toThrow();
  });

  describe('system tables', () => {
    it('are allowed by default', () => {
      expect(() => assertReadOnly('SELECT * FROM system.settings')).not.toThrow();
      expect(() => assertReadOnly('SHOW PROCESSLIST')).not.toThrow();
    });

    it('are refused with systemTables: refuse, however they are spelled', () => {
      for (const sql of ['SELECT * FROM system.tables', 'SELECT * FROM `system`.`tables`', 'select * from "SYSTEM".query_log', 'DESCRIBE system.columns', 'SELECT * FROM information_schema.tables']) {
        const err = refusal(sql, { systemTables: 'refuse' });
        expect(err.reason).toBe('access');
        expect(err.message).toMatch(/^(system|information_schema)\.\w+ is not allowed: system tables are not exposed here$/);
      }
      expect(refusal('SHOW TABLES FROM system', { systemTables: 'refuse' }).message).toBe('the system database is not exposed here');
      expect(refusal('SHOW SETTINGS LIKE \'max%\'', { systemTables: 'refuse' }).message).toBe('SHOW SETTINGS is not allowed: it reads system tables that are not exposed here');
      expect(() => assertReadOnly('SHOW TABLES', { systemTables: 'refuse' })).not.toThrow();
      expect(() => assertReadOnly("SELECT 'system.tables', system_x.tables FROM runs AS system", { systemTables: 'refuse' })).not.toThrow();
    });

    it('allow only the schema tables with systemTables: schema', () => {
      expect(() => assertReadOnly("SELECT name, type, table FROM system.columns WHERE database = 'default'", { systemTables: 'schema' })).not.toThrow();
      expect(() => assertReadOnly('SELECT name FROM system.functions', { systemTables: 'schema' })).not.toThrow();
      expect(() => assertReadOnly('SHOW DATABASES', { systemTables: 'schema' })).not.toThrow();
      expect(refusal('SELECT * FROM system.query_log', { systemTables: 'schema' }).message).toBe('system.query_log is not allowed: system tables are not exposed here');
      expect(refusal('SHOW PROCESSLIST', { systemTables: 'schema' }).reason).toBe('access');
    });
  });
});

describe('inspectStatement', () => {
  it('finds the FORMAT clause with its spelling, but not a column called format', () => {
    expect(inspectStatement('SELECT 1 FORMAT JSONEachRow').format).toBe('JSONEachRow');
    expect(inspectStatement('SELECT 1 FORMAT `CSVWithNames` SETTINGS max_threads = 1;').format).toBe('CSVWithNames');
    expect(inspectStatement('SELECT format FROM t').format).toBeUndefined();
    expect(inspectStatement("SELECT format('{}', 1)").format).toBeUndefined();
    expect(inspectStatement('INSERT INTO t FORMAT JSONEachRow').kind).toBe('INSERT');
  });
});

describe('sql lexer', () => {
  it('unquotes strings and identifiers with ClickHouse escapes', () => {
    const tokens = tokenize(`SELECT 'it''s \\n', "col""x", \`a\\\`b\` FROM t`);
    expect(tokens.filter((t) => t.kind !== 'word' && t.kind !== 'punct').map((t) => [t.kind, t.value])).toEqual([
      ['string', "it's \n"],
      ['quoted_identifier', 'col"x'],
      ['quoted_identifier', 'a`b'],
    ]);
  });

  it('splits a script at top-level semicolons only', () => {
    const script = "CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory; -- comment; here\n/* ; */ SELECT ';';;";
    expect(splitStatements(script).map((s) => s.text)).toEqual(["CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory", "SELECT ';'"]);
  });
});
