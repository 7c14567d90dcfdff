// Panel and dashboard specs, and their rendering with the Grafana foundation SDK. A spec
// states what a panel's SQL returns (its columns), so tests can hold every query to it.
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  PanelBuilder as GenericPanel,
  RowBuilder,
  type Dashboard,
  type DynamicConfigValue,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { PanelBuilder as PiechartPanel, PieChartLabels, PieChartType } from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { ClickHouseQuery, clickhouse, type ClickHouseQueryType } from './clickhouse.ts';
import { traceBuilderOptions } from './traces.ts';

export const GRID_WIDTH = 24;
export const FLOWTRACE_TAG = 'flowtrace';

export type PanelKind = 'stat' | 'timeseries' | 'table' | 'piechart' | 'traces';

export interface DataLink {
  title: string;
  url: string;
}

/** One column the panel's SQL returns, with how to show it. */
export interface Column {
  name: string;
  unit?: string;
  link?: DataLink;
  /** Cell text colour by value (status-like columns). */
  colors?: Record<string, string>;
}

export interface PanelSpec {
  kind: PanelKind;
  title: string;
  description: string;
  sql: string;
  /** Every column the SQL returns, in order. Timeseries panels start with `time`. */
  columns: readonly Column[];
  /** Unit for every value field (long-format series get their field names from labels). */
  unit?: string;
  width: number;
  height: number;
  /** For trace panels: the trace-id expression shown in the editor's builder options. */
  traceId?: string;
}

export interface Section {
  title: string;
  panels: readonly PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: readonly Builder<VariableModel>[];
  sections: readonly Section[];
}

const QUERY_TYPE: Record<PanelKind, ClickHouseQueryType> = {
  stat: 'table',
  table: 'table',
  piechart: 'table',
  timeseries: 'timeseries',
  traces: 'traces',
};

function query(spec: PanelSpec): ClickHouseQuery {
  const q = new ClickHouseQuery(spec.sql, QUERY_TYPE[spec.kind]);
  return spec.traceId === undefined ? q : q.builderOptions(traceBuilderOptions(spec.traceId));
}

/** Field overrides a column asks for: unit, data link, value colours. */
function columnOverrides(column: Column): DynamicConfigValue[] {
  const properties: DynamicConfigValue[] = [];
  if (column.unit !== undefined) properties.push({ id: 'unit', value: column.unit });
  if (column.link !== undefined) properties.push({ id: 'links', value: [{ ...column.link, targetBlank: false }] });
  if (column.colors !== undefined) {
    const options = Object.fromEntries(
      Object.entries(column.colors).map(([value, color], index) => [value, { color, index, text: value }]),
    );
    properties.push({ id: 'mappings', value: [{ type: 'value', options }] });
    properties.push({ id: 'custom.cellOptions', value: { type: 'color-text' } });
  }
  return properties;
}

/** Show the last value of each field, or (`perRow`) one value per row. */
const lastValue = (perRow: boolean) =>
  new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(perRow);

type AnyPanelBuilder = StatPanel | TablePanel | TimeseriesPanel | PiechartPanel | GenericPanel;

function vizPanel(spec: PanelSpec): AnyPanelBuilder {
  switch (spec.kind) {
    case 'stat':
      return new StatPanel()
        .colorMode(common.BigValueColorMode.None)
        .graphMode(common.BigValueGraphMode.None)
        .reduceOptions(lastValue(false));
    case 'table':
      return new TablePanel().showHeader(true).cellHeight(common.TableCellHeight.Sm);
    case 'timeseries':
      return new TimeseriesPanel()
        .fillOpacity(12)
        .showPoints(common.VisibilityMode.Never)
        .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true))
        .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
    case 'piechart':
      return new PiechartPanel()
        .pieType(PieChartType.Donut)
        .displayLabels([PieChartLabels.Percent])
        .reduceOptions(lastValue(true));
    case 'traces':
      return new GenericPanel().type('traces');
  }
}

function panel(spec: PanelSpec, id: number): AnyPanelBuilder {
  const builder = vizPanel(spec)
    .id(id)
    .title(spec.title)
    .description(spec.description)
    .datasource(clickhouse)
    .span(spec.width)
    .height(spec.height)
    .withTarget(query(spec));
  if (spec.unit !== undefined && spec.kind !== 'traces') (builder as StatPanel).unit(spec.unit);
  for (const column of spec.columns) {
    const properties = columnOverrides(column);
    if (properties.length > 0) (builder as StatPanel).overrideByName(column.name, properties);
  }
  return builder;
}

/** Renders a dashboard spec as a classic (v1) Grafana dashboard. */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const dashboard = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([FLOWTRACE_TAG])
    .editable()
    .timezone('browser')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .link(
      new DashboardLinkBuilder('FlowTrace')
        .type(DashboardLinkType.Dashboards)
        .tags([FLOWTRACE_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
  for (const variable of spec.variables) dashboard.withVariable(variable);
  let id = 0;
  for (const section of spec.sections) {
    dashboard.withRow(new RowBuilder(section.title).id(++id));
    for (const p of section.panels) dashboard.withPanel(panel(p, ++id));
  }
  return dashboard.build();
}

/** Every panel spec of a dashboard, in layout order. */
export const panelsOf = (spec: DashboardSpec): PanelSpec[] => spec.sections.flatMap((s) => s.panels);
