// Template variables shared by the FlowTrace dashboards. Options come from span_facts
// within the time range (cheap: its time index), and every variable offers "All".
import {
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { clickhouse } from './clickhouse.ts';
import { PROJECT, SERVICE } from './sql.ts';

function multiValue(name: string, label: string, rawSql: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(clickhouse)
    // queryType is the plugin's variable model (v4.x); editorType what older versions read.
    .query({ refId: 'variable', queryType: 'sql', editorType: 'sql', rawSql })
    .definition(rawSql)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export const projectVariable = () =>
  multiValue('project', 'Project', 'SELECT DISTINCT ProjectId FROM span_facts WHERE $__timeFilter(Timestamp) ORDER BY ProjectId');

export const serviceVariable = () =>
  multiValue(
    'service',
    'Service',
    `SELECT DISTINCT ServiceName FROM span_facts WHERE $__timeFilter(Timestamp) AND ${PROJECT} AND ServiceName != '' ORDER BY ServiceName`,
  );

/** Workflows are named on run spans. */
export const workflowVariable = () =>
  multiValue(
    'workflow',
    'Workflow',
    `SELECT DISTINCT WorkflowId FROM span_facts WHERE Role = 'run' AND WorkflowId != '' AND $__timeFilter(Timestamp) AND ${PROJECT} AND ${SERVICE} ORDER BY WorkflowId`,
  );

/** The trace shown by trace panels; set by the links in run and failure tables. */
export const traceIdVariable = () =>
  new TextBoxVariableBuilder('trace_id')
    .label('Trace ID')
    .description('Trace shown in the trace panels; set by clicking a trace id in a table.')
    .defaultValue('')
    .current({ selected: false, text: '', value: '' });

export const scopeVariables = () => [projectVariable(), serviceVariable(), workflowVariable()];
