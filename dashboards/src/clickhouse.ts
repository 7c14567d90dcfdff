// A query builder for the Grafana ClickHouse datasource (grafana-clickhouse-datasource).
// The foundation SDK ships none, so this is the SDK's "custom query type" pattern: a
// cog Builder that produces the datasource's query model.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';
/** Fixed so dashboards and the provisioned datasource find each other. */
export const CLICKHOUSE_DATASOURCE_UID = 'flowtrace-clickhouse';
export const clickhouse: DataSourceRef = { type: CLICKHOUSE_PLUGIN_ID, uid: CLICKHOUSE_DATASOURCE_UID };

/** The plugin's query types and the Grafana data-frame formats (sqlds) they map to. */
export const QUERY_FORMAT = { timeseries: 0, table: 1, logs: 2, traces: 3 } as const;
export type ClickHouseQueryType = keyof typeof QUERY_FORMAT;

/** The plugin's SQL-editor query model (src/types/sql.ts `CHSqlQuery`). */
export interface ClickHouseSqlQuery extends Dataquery {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  queryType: ClickHouseQueryType;
  format: (typeof QUERY_FORMAT)[ClickHouseQueryType];
  /** Editor metadata; for trace queries the builder options (OTel column map) the editor shows. */
  meta?: { builderOptions: Record<string, unknown> };
}

export class ClickHouseQuery implements Builder<ClickHouseSqlQuery> {
  private readonly query: ClickHouseSqlQuery;

  constructor(rawSql: string, queryType: ClickHouseQueryType) {
    this.query = {
      refId: 'A',
      datasource: clickhouse,
      editorType: 'sql',
      rawSql,
      queryType,
      format: QUERY_FORMAT[queryType],
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.query.refId = refId;
    return this;
  }

  builderOptions(options: Record<string, unknown>): this {
    this.query.meta = { builderOptions: options };
    return this;
  }

  build(): ClickHouseSqlQuery {
    return this.query;
  }
}
