// Ordered, idempotent schema migrations. Each file storage/migrations/NNN_name.sql is
// applied once, in version order, and recorded in `schema_migrations` with a checksum;
// re-running is a no-op and editing an applied file is refused (add a new migration
// instead). Retention is not a migration: it follows the configuration on every start.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitStatements } from './sql-lexer.ts';
import type { SpanStore } from './store.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The two statements a store must offer to be migrated. */
export interface MigrationRunner {
  command(sql: string): Promise<void>;
  /** Runs a SELECT and returns its rows as parsed JSONEachRow objects. */
  select<T>(sql: string): Promise<T[]>;
}

/** Migrates through a store's own statement path, so both stores share this code. */
export function storeRunner(store: Pick<SpanStore, 'query' | 'execute'>): MigrationRunner {
  return {
    command: async (sql) => {
      await store.execute({ sql });
    },
    select: async <T>(sql: string) =>
      (await store.query(sql, 'JSONEachRow'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as T),
  };
}

export interface Migration {
  version: number;
  name: string;
  file: string;
  checksum: string;
  statements: string[];
}

export interface MigrateOptions {
  /** Days of data to keep in otel_traces, its trace-id lookup table, span_facts and the run tables fed from it; unset keeps everything. */
  retentionDays?: number;
  migrations?: Migration[];
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE_PATTERN = /^(\d+)_([A-Za-z0-9_]+)\.sql$/;

/** Reads and orders the migration files in `dir`. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new MigrationError(`migration file ${file} is not named NNN_name.sql`);
      // Normalise line endings so a checkout with CRLF does not look like an edited file.
      const text = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
      return {
        version: Number(match[1]),
        name: match[2]!,
        file,
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: splitStatements(text).map((s) => s.text),
      };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new MigrationError(`migrations ${migrations[i - 1]!.file} and ${migrations[i]!.file} share version ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3)
) ENGINE = MergeTree ORDER BY version`;

/** Applies pending migrations in order, then the retention setting. Returns the versions applied now. */
export async function migrate(runner: MigrationRunner, options: MigrateOptions = {}): Promise<number[]> {
  const migrations = options.migrations ?? loadMigrations();
  await runner.command(CREATE_LEDGER);
  const applied = await runner.select<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  const byVersion = new Map(applied.map((row) => [Number(row.version), row]));
  const known = new Set(migrations.map((m) => m.version));

  for (const row of applied) {
    if (!known.has(Number(row.version))) {
      throw new MigrationError(
        `the database has migration ${row.version} (${row.name}) applied, but no file for it exists in the migrations folder; ` +
          'this FlowTrace is older than the one that created the schema',
      );
    }
  }

  const appliedNow: number[] = [];
  for (const migration of migrations) {
    const row = byVersion.get(migration.version);
    if (row) {
      if (row.checksum !== migration.checksum) {
        throw new MigrationError(
          `migration ${migration.file} was changed after it was applied (applied checksum ${row.checksum.slice(0, 12)}, ` +
            `file checksum ${migration.checksum.slice(0, 12)}); restore the file and add a new numbered migration for the change`,
        );
      }
      continue;
    }
    for (const statement of migration.statements) {
      try {
        await runner.command(statement);
      } catch (err) {
        throw new MigrationError(`migration ${migration.file} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await runner.command(
      `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (${migration.version}, ${sqlString(migration.name)}, ${sqlString(migration.checksum)}, now64(3))`,
    );
    appliedNow.push(migration.version);
  }

  await applyRetention(runner, options.retentionDays);
  return appliedNow;
}

/** Tables with a time-based TTL, and the column it counts from (as the collector exporter does). */
const RETENTION_TABLES: ReadonlyArray<readonly [table: string, column: string]> = [
  ['otel_traces', 'Timestamp'],
  ['otel_traces_trace_id_ts', 'Start'],
  ['span_facts', 'Timestamp'],
  ['run_totals', 'StartTime'],
];

/** Sets (or removes, when `days` is undefined) each table's TTL; tables already as configured are left alone. */
export async function applyRetention(runner: MigrationRunner, days: number | undefined): Promise<void> {
  if (days !== undefined && (!Number.isInteger(days) || days <= 0)) {
    throw new MigrationError(`retentionDays must be a positive whole number of days, got ${days}`);
  }
  const names = RETENTION_TABLES.map(([table]) => sqlString(table)).join(', ');
  const rows = await runner.select<{ name: string; engine_full: string }>(
    `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN (${names})`,
  );
  const currentTtl = new Map(rows.map((r) => [r.name, / TTL (.+?)(?: SETTINGS |$)/.exec(r.engine_full)?.[1]]));
  for (const [table, column] of RETENTION_TABLES) {
    if (!currentTtl.has(table)) continue;
    const current = currentTtl.get(table);
    const wanted = days === undefined ? undefined : `toDateTime(${column}) + toIntervalDay(${days})`;
    if (current === wanted) continue;
    await runner.command(wanted === undefined ? `ALTER TABLE ${table} REMOVE TTL` : `ALTER TABLE ${table} MODIFY TTL ${wanted}`);
  }
}

export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
