// `flowtrace sql "<query>"`: one read-only statement over the span store. The embedded
// engine opens a data directory in one process only, so when a `flowtrace up` serves the
// directory the query goes through its ClickHouse HTTP interface; otherwise this process
// opens the directory itself (or the configured ClickHouse server).
// Exit codes: 0 ok, 1 the query failed, 2 refused (not a read, or several statements).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import { ClickHouseServerStore } from '../../storage/clickhouse/clickhouse-server-store.ts';
import { storeConfigFrom, openStore } from '../../storage/index.ts';
import { readLiveServerInfo, serverInfoPath } from '../../storage/server-info.ts';
import { assertReadOnly, ReadOnlyViolation } from '../../storage/sql-guard.ts';
import { StoreQueryError, type SpanStore } from '../../storage/store.ts';

const FORMATS = { table: 'PrettyCompactMonoBlock', json: 'JSONEachRow', csv: 'CSVWithNames', tsv: 'TabSeparatedWithNames' } as const;
type OutputFormat = keyof typeof FORMATS;

interface SqlFlags {
  format: OutputFormat;
  dataDir?: string;
}

export function register(program: Command): void {
  program
    .command('sql')
    .description('run one read-only SQL statement (ClickHouse SQL) over the stored spans: tables otel_traces, span_facts; views llm_calls, steps, failures, runs')
    .argument('<query>', 'a SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN or EXISTS statement')
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(FORMATS)).default('table'))
    .option('--data-dir <dir>', 'embedded engine data directory (default: <FLOWTRACE_HOME>/data)')
    .addHelpText(
      'after',
      `
Examples:
  flowtrace sql "SELECT RunId, Status, CostUsd, DurationMs FROM runs ORDER BY StartTime DESC LIMIT 10"
  flowtrace sql "SELECT Provider, RequestModel, count() AS calls, sum(CostUsd) AS cost FROM llm_calls GROUP BY ALL" --format csv

When \`flowtrace up\` is running on the data directory the query is sent to its ClickHouse
HTTP interface (found through <FLOWTRACE_HOME>/server.json). With FLOWTRACE_CLICKHOUSE_URL
set it goes to that ClickHouse server.`,
    )
    .action(async (query: string, flags: SqlFlags) => {
      try {
        assertReadOnly(query);
      } catch (err) {
        if (!(err instanceof ReadOnlyViolation)) throw err;
        process.stderr.write(`flowtrace sql: refused: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const store = await storeFor(flags);
      try {
        const result = await store.execute({
          sql: query,
          format: FORMATS[flags.format],
          readOnly: true,
          settings: flags.format === 'table' ? { output_format_pretty_color: process.stdout.isTTY ? '1' : '0' } : {},
        });
        process.stdout.write(result.body);
        if (result.body.length === 0 && flags.format === 'table') process.stderr.write('(no rows)\n');
      } catch (err) {
        if (!(err instanceof StoreQueryError)) throw err;
        // ClickHouse messages can span lines (hints, stack context): the first says what failed.
        process.stderr.write(`flowtrace sql: ${err.message.split('\n')[0]}\n`);
        process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}

async function storeFor(flags: SqlFlags): Promise<SpanStore> {
  const config = storeConfigFrom(loadConfig(), flags.dataDir);
  if (config.clickhouse?.url) return openStore(config);
  const dataDir = resolve(config.dataDir!);
  const server = await readLiveServerInfo(dataDir);
  if (server) return new ClickHouseServerStore({ url: server.clickhouseHttp });
  if (!existsSync(dataDir)) {
    throw new Error(`no FlowTrace data at ${dataDir}; start \`flowtrace up\` or pass --data-dir`);
  }
  try {
    return new ChdbStore({ dataDir });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`${reason} (is another process using it? no running \`flowtrace up\` was found through ${serverInfoPath(dataDir)})`);
  }
}
