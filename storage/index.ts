// Which store to open: a ClickHouse server when a URL is configured, else the embedded
// engine on the data directory. The environment (FLOWTRACE_CLICKHOUSE_URL, _USER,
// _PASSWORD, _DATABASE, FLOWTRACE_RETENTION_DAYS, FLOWTRACE_HOME) reaches this through
// core/config.ts; storeConfigFrom() picks the store's part of a loaded configuration.
import { join } from 'node:path';
import type { FlowTraceConfig } from '../core/config.ts';
import { ChdbStore } from './chdb/chdb-store.ts';
import { ClickHouseServerStore, type ClickHouseServerConfig } from './clickhouse/clickhouse-server-store.ts';
import type { SpanStore } from './store.ts';

export type { SpanStore, StatementRequest, StatementResult, QueryFormat } from './store.ts';
export { StoreClosedError, StoreQueryError } from './store.ts';
export { ChdbStore } from './chdb/chdb-store.ts';
export { ClickHouseServerStore } from './clickhouse/clickhouse-server-store.ts';
export { ClickHouseHttpInterface } from './http-interface/index.ts';
export { readLiveServerInfo, removeServerInfo, serverInfoPath, writeServerInfo, type ServerInfo } from './server-info.ts';
export { assertReadOnly, ReadOnlyViolation } from './sql-guard.ts';

export interface StoreConfig {
  /** Embedded engine data directory; default .flowtrace/data. */
  dataDir?: string;
  /** A ClickHouse server; used when `url` is set. */
  clickhouse?: Partial<Pick<ClickHouseServerConfig, 'url' | 'database' | 'username' | 'password'>>;
  /** Days of spans to keep; unset keeps everything. */
  retentionDays?: number;
}

export const DEFAULT_DATA_DIR = join('.flowtrace', 'data');

/** The data directory of a FlowTrace home (`<home>/data`). */
export function dataDirOf(config: Pick<FlowTraceConfig, 'home'>): string {
  return join(config.home, 'data');
}

/** The store's part of a loaded configuration; `dataDir` overrides `<home>/data`. */
export function storeConfigFrom(config: Pick<FlowTraceConfig, 'home' | 'clickhouse' | 'retentionDays'>, dataDir?: string): StoreConfig {
  return { dataDir: dataDir ?? dataDirOf(config), clickhouse: config.clickhouse, retentionDays: config.retentionDays };
}

export function openStore(config: StoreConfig = {}): SpanStore {
  const { url, database, username, password } = config.clickhouse ?? {};
  if (url) return new ClickHouseServerStore({ url, database, username, password, retentionDays: config.retentionDays });
  return new ChdbStore({ dataDir: config.dataDir ?? DEFAULT_DATA_DIR, retentionDays: config.retentionDays });
}
