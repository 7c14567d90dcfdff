// Which store to open: a ClickHouse server when a URL is configured, else the embedded
// engine on the data directory. Explicit config wins over FLOWTRACE_* variables.
import { ChdbStore } from './chdb/chdb-store.ts';
import { ClickHouseServerStore, type ClickHouseServerConfig } from './clickhouse/clickhouse-server-store.ts';
import type { SpanStore } from './store.ts';

export type { SpanStore, StatementRequest, StatementResult, QueryFormat } from './store.ts';
export { StoreClosedError, StoreQueryError } from './store.ts';
export { ChdbStore } from './chdb/chdb-store.ts';
export { ClickHouseServerStore } from './clickhouse/clickhouse-server-store.ts';

export const DEFAULT_DATA_DIR = './.flowtrace/data';

export interface StoreConfig {
  /** Embedded engine data directory. Env FLOWTRACE_DATA_DIR; default ./.flowtrace/data. */
  dataDir?: string;
  /** A ClickHouse server. Env FLOWTRACE_CLICKHOUSE_URL, _USER, _PASSWORD, _DATABASE. */
  clickhouse?: Partial<Pick<ClickHouseServerConfig, 'url' | 'database' | 'username' | 'password'>>;
  /** Days of spans to keep. Env FLOWTRACE_RETENTION_DAYS; unset keeps everything. */
  retentionDays?: number;
}

export type ResolvedStoreConfig =
  | { kind: 'chdb'; dataDir: string; retentionDays?: number }
  | { kind: 'clickhouse'; clickhouse: ClickHouseServerConfig };

/** Merges explicit config over the environment and validates the result. */
export function resolveStoreConfig(config: StoreConfig = {}, env: NodeJS.ProcessEnv = process.env): ResolvedStoreConfig {
  const retentionDays = config.retentionDays ?? parseRetention(env.FLOWTRACE_RETENTION_DAYS);
  const url = config.clickhouse?.url ?? nonEmpty(env.FLOWTRACE_CLICKHOUSE_URL);
  if (url !== undefined) {
    return {
      kind: 'clickhouse',
      clickhouse: {
        url,
        database: config.clickhouse?.database ?? nonEmpty(env.FLOWTRACE_CLICKHOUSE_DATABASE),
        username: config.clickhouse?.username ?? nonEmpty(env.FLOWTRACE_CLICKHOUSE_USER),
        password: config.clickhouse?.password ?? env.FLOWTRACE_CLICKHOUSE_PASSWORD,
        retentionDays,
      },
    };
  }
  return { kind: 'chdb', dataDir: config.dataDir ?? nonEmpty(env.FLOWTRACE_DATA_DIR) ?? DEFAULT_DATA_DIR, retentionDays };
}

export function openStore(config: StoreConfig = {}, env: NodeJS.ProcessEnv = process.env): SpanStore {
  const resolved = resolveStoreConfig(config, env);
  return resolved.kind === 'clickhouse' ? new ClickHouseServerStore(resolved.clickhouse) : new ChdbStore(resolved);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parseRetention(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const days = Number(value);
  if (!/^\d+$/.test(value) || days <= 0) {
    throw new Error(`FLOWTRACE_RETENTION_DAYS must be a positive whole number of days, got ${JSON.stringify(value)}`);
  }
  return days;
}
