// The trace-view query for otel_traces, as the ClickHouse datasource's query builder
// generates it in trace-ID mode with its OpenTelemetry column map (src/otel.ts,
// src/data/sqlGenerator.ts `generateTraceIdQuery`), plus FlowTrace's project scope.
// The SQL editor runs it with format 3, so Grafana renders the trace waterfall.

/** Column hints (the plugin's `ColumnHint`) → otel_traces columns, as in the plugin's OTel map. */
export const OTEL_TRACE_COLUMNS = {
  time: 'Timestamp',
  trace_id: 'TraceId',
  trace_span_id: 'SpanId',
  trace_parent_span_id: 'ParentSpanId',
  trace_service_name: 'ServiceName',
  trace_operation_name: 'SpanName',
  trace_duration_time: 'Duration',
  trace_tags: 'SpanAttributes',
  trace_service_tags: 'ResourceAttributes',
  trace_status_code: 'StatusCode',
  trace_kind: 'SpanKind',
  trace_status_message: 'StatusMessage',
  trace_state: 'TraceState',
} as const;

const TABLE = 'otel_traces';
const TRACE_ID_TS_SUFFIX = '_trace_id_ts';
const EVENTS = 'Events';
const LINKS = 'Links';

const ident = (id: string) => `"${id.replaceAll('"', '""')}"`;
const tagsOf = (col: string) => `arrayMap(key -> map('key', key, 'value',${ident(col)}[key]), mapKeys(${ident(col)}))`;
const fieldsOf = (expr: string) => `arrayMap(key -> map('key', key, 'value', ${expr}[key]), mapKeys(${expr}))`;

/**
 * SQL returning one trace in Grafana's trace data-frame shape. `traceId` is an SQL
 * expression (e.g. a quoted template variable); `filter` an extra WHERE condition.
 */
export function traceByIdSql(traceId: string, filter: string): string {
  const c = OTEL_TRACE_COLUMNS;
  const lookup = ident(`${TABLE}${TRACE_ID_TS_SUFFIX}`);
  const select = [
    `${ident(c.trace_id)} as traceID`,
    `${ident(c.trace_span_id)} as spanID`,
    `${ident(c.trace_parent_span_id)} as parentSpanID`,
    `${ident(c.trace_service_name)} as serviceName`,
    `${ident(c.trace_operation_name)} as operationName`,
    `multiply(toUnixTimestamp64Nano(${ident(c.time)}), 0.000001) as startTime`,
    `multiply(${ident(c.trace_duration_time)}, 0.000001) as duration`,
    `${tagsOf(c.trace_tags)} as tags`,
    `${tagsOf(c.trace_service_tags)} as serviceTags`,
    `if(${ident(c.trace_status_code)} IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) as statusCode`,
    `arrayMap((name, timestamp, attributes) -> tuple(name, toString(toUnixTimestamp64Milli(timestamp)), ${fieldsOf('attributes')})` +
      `::Tuple(name String, timestamp String, fields Array(Map(String, String))), ` +
      `${ident(EVENTS)}.Name, ${ident(EVENTS)}.Timestamp, ${ident(EVENTS)}.Attributes) AS logs`,
    `arrayMap((traceID, spanID, attributes) -> tuple(traceID, spanID, ${fieldsOf('attributes')})` +
      `::Tuple(traceID String, spanID String, tags Array(Map(String, String))), ` +
      `${ident(LINKS)}.TraceId, ${ident(LINKS)}.SpanId, ${ident(LINKS)}.Attributes) AS references`,
    `${ident(c.trace_kind)} as kind`,
    `${ident(c.trace_status_message)} as statusMessage`,
    `${ident(c.trace_state)} as traceState`,
  ];
  return [
    'WITH',
    `${traceId} as __gf_trace_id,`,
    `(SELECT min(Start) FROM ${lookup} WHERE TraceId = __gf_trace_id) as __gf_trace_start,`,
    `(SELECT max(End) + 1 FROM ${lookup} WHERE TraceId = __gf_trace_id) as __gf_trace_end`,
    'SELECT',
    select.join(', '),
    'FROM',
    ident(TABLE),
    'WHERE',
    `traceID = __gf_trace_id AND ${ident(c.time)} >= __gf_trace_start AND ${ident(c.time)} <= __gf_trace_end AND ${filter}`,
  ].join(' ');
}

/** The query-builder options the plugin's editor shows for this query (trace-ID mode, OTel map). */
export function traceBuilderOptions(traceId: string): Record<string, unknown> {
  return {
    database: '',
    table: TABLE,
    queryType: 'traces',
    mode: 'list',
    columns: Object.entries(OTEL_TRACE_COLUMNS).map(([hint, name]) => ({ name, hint })),
    meta: {
      isTraceIdMode: true,
      traceId,
      otelEnabled: true,
      otelVersion: 'latest',
      traceDurationUnit: 'nanoseconds',
      traceEventsColumnPrefix: EVENTS,
      traceLinksColumnPrefix: LINKS,
      hasTraceTimestampTable: true,
      traceTimestampTableSuffix: TRACE_ID_TS_SUFFIX,
    },
  };
}
