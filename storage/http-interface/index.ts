export { ClickHouseHttpInterface, ClickHouseHttpInterfaceConfigSchema, type ClickHouseHttpInterfaceConfig } from './clickhouse-http-interface.ts';
