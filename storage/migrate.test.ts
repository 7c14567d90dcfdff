import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbStore } from './chdb/chdb-store.ts';
import { applyRetention, loadMigrations, migrate, MIGRATIONS_DIR, MigrationError, storeRunner, type MigrationRunner } from './migrate.ts';

// chdb binds one data directory per process, so the whole file shares one store.
const root = mkdtempSync(join(tmpdir(), 'flowtrace-migrate-'));
const migrationsDir = join(root, 'migrations');
cpSync(MIGRATIONS_DIR, migrationsDir, { recursive: true });
/** The migrations FlowTrace ships, in order. */
const shipped = readdirSync(MIGRATIONS_DIR).filter((file) => file.endsWith('.sql')).sort();
const shippedVersions = shipped.map((file) => Number(file.slice(0, 3)));
const store = new ChdbStore({ dataDir: join(root, 'data') });
let runner: MigrationRunner;

/** The runner, recording every statement it runs. */
const statements: string[] = [];

beforeAll(() => {
  const inner = storeRunner(store);
  runner = {
    command: (sql) => {
      statements.push(sql);
      return inner.command(sql);
    },
    select: inner.select,
  };
});
afterAll(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

const ledger = () =>
  runner.select<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
const ttlOf = async (table: string) =>
  (await runner.select<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = '${table}'`))[0]!
    .engine_full;

describe('migrate', () => {
  it('applies every migration in order and records it with the file checksum', async () => {
    const applied = await migrate(runner, { migrations: loadMigrations(migrationsDir) });
    expect(shipped.slice(0, 5)).toEqual(['001_otel_traces.sql', '002_otel_traces_trace_id_ts.sql', '003_span_facts.sql', '004_views.sql', '005_trace_id_ts_dedup.sql']);
    expect(applied).toEqual(shippedVersions);
    expect(await ledger()).toEqual(
      shipped.map((file, i) => ({
        version: shippedVersions[i],
        name: file.slice(4, -4),
        checksum: createHash('sha256').update(readFileSync(join(MIGRATIONS_DIR, file), 'utf8')).digest('hex'),
      })),
    );
    const tables = (await runner.select<{ name: string }>('SHOW TABLES')).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['otel_traces', 'otel_traces_trace_id_ts', 'span_facts', 'llm_calls', 'steps', 'failures', 'runs']));
  });

  it('leaves otel_traces with the trace-id and duration indexes only (no attribute-map bloom filters)', async () => {
    const indexes = await runner.select<{ name: string; expr: string }>(
      "SELECT name, expr FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY name",
    );
    expect(indexes).toEqual([
      { name: 'idx_duration', expr: 'Duration' },
      { name: 'idx_trace_id', expr: 'TraceId' },
    ]);
  });

  it('is a no-op when run again', async () => {
    statements.length = 0;
    expect(await migrate(runner, { migrations: loadMigrations(migrationsDir) })).toEqual([]);
    expect(statements.filter((s) => !s.startsWith('CREATE TABLE IF NOT EXISTS schema_migrations'))).toEqual([]);
    expect(await ledger()).toHaveLength(shipped.length);
  });

  it('applies only a newly added migration', async () => {
    writeFileSync(join(migrationsDir, '900_notes.sql'), 'CREATE TABLE IF NOT EXISTS notes (id UInt8) ENGINE = MergeTree ORDER BY id;\n-- trailing comment; with a semicolon\n');
    expect(await migrate(runner, { migrations: loadMigrations(migrationsDir) })).toEqual([900]);
    expect((await ledger()).map((r) => r.version)).toEqual([...shippedVersions, 900]);
  });

  it('refuses an applied migration whose file changed, naming the file', async () => {
    appendFileSync(join(migrationsDir, '003_span_facts.sql'), '\n-- edited\n');
    const migrations = loadMigrations(migrationsDir);
    const changed = migrations.find((m) => m.version === 3)!;
    const recorded = (await ledger()).find((r) => r.version === 3)!;
    await expect(migrate(runner, { migrations })).rejects.toThrow(
      new MigrationError(
        `migration 003_span_facts.sql was changed after it was applied (applied checksum ${recorded.checksum.slice(0, 12)}, ` +
          `file checksum ${changed.checksum.slice(0, 12)}); restore the file and add a new numbered migration for the change`,
      ),
    );
    cpSync(join(MIGRATIONS_DIR, '003_span_facts.sql'), join(migrationsDir, '003_span_facts.sql'));
  });

  it('does not record a failed migration, so a fixed file is applied on the next run', async () => {
    const file = join(migrationsDir, '901_broken.sql');
    writeFileSync(file, 'CREATE TABLE IF NOT EXISTS fixed (id UInt8) ENGINE = MergeTree ORDER BY id;\nCREATE TABLE oops (id Nope) ENGINE = Memory;\n');
    await expect(migrate(runner, { migrations: loadMigrations(migrationsDir) })).rejects.toThrow(/^migration 901_broken\.sql failed: .*Nope/);
    expect((await ledger()).map((r) => r.version)).not.toContain(901);
    writeFileSync(file, 'CREATE TABLE IF NOT EXISTS fixed (id UInt8) ENGINE = MergeTree ORDER BY id;\n');
    expect(await migrate(runner, { migrations: loadMigrations(migrationsDir) })).toEqual([901]);
  });

  it('refuses a database that has a migration this code does not know', async () => {
    rmSync(join(migrationsDir, '901_broken.sql'));
    await expect(migrate(runner, { migrations: loadMigrations(migrationsDir) })).rejects.toThrow(
      'the database has migration 901 (broken) applied, but no file for it exists in the migrations folder',
    );
    writeFileSync(join(migrationsDir, '901_broken.sql'), 'CREATE TABLE IF NOT EXISTS fixed (id UInt8) ENGINE = MergeTree ORDER BY id;\n');
  });

  it('refuses badly named and duplicate migration files', () => {
    const dir = join(root, 'bad');
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(join(dir, '003_again.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow('migrations 003_again.sql and 003_span_facts.sql share version 3');
    rmSync(join(dir, '003_again.sql'));
    writeFileSync(join(dir, 'notes.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow('migration file notes.sql is not named NNN_name.sql');
  });
});

describe('retention', () => {
  it('sets a TTL on the span tables, leaves them alone when unchanged, and removes it when unset', async () => {
    await applyRetention(runner, 30);
    expect(await ttlOf('otel_traces')).toContain('TTL toDateTime(Timestamp) + toIntervalDay(30) SETTINGS');
    expect(await ttlOf('span_facts')).toContain('TTL toDateTime(Timestamp) + toIntervalDay(30) SETTINGS');
    expect(await ttlOf('otel_traces_trace_id_ts')).toContain('TTL toDateTime(Start) + toIntervalDay(30) SETTINGS');
    expect(await ttlOf('run_totals')).toContain('TTL toDateTime(StartTime) + toIntervalDay(30) SETTINGS');

    statements.length = 0;
    await applyRetention(runner, 30);
    expect(statements).toEqual([]);

    await applyRetention(runner, 7);
    expect(statements).toHaveLength(4);
    expect(await ttlOf('span_facts')).toContain('toIntervalDay(7)');

    await applyRetention(runner, undefined);
    for (const table of ['otel_traces', 'span_facts', 'otel_traces_trace_id_ts', 'run_totals']) expect(await ttlOf(table)).not.toContain(' TTL ');
    statements.length = 0;
    await applyRetention(runner, undefined);
    expect(statements).toEqual([]);
  });

  it('refuses a retention that is not a positive whole number of days', async () => {
    await expect(applyRetention(runner, 0)).rejects.toThrow('retentionDays must be a positive whole number of days, got 0');
    await expect(applyRetention(runner, 1.5)).rejects.toThrow('got 1.5');
  });
});
