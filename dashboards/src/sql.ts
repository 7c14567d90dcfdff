// SQL fragments every panel shares: the template-variable filters and the time scoping
// of each view. Filters use the datasource's $__conditionalAll so that "All" costs nothing.

export const PROJECT = '$__conditionalAll(ProjectId IN (${project:singlequote}), $project)';
export const SERVICE = '$__conditionalAll(ServiceName IN (${service:singlequote}), $service)';
export const WORKFLOW = '$__conditionalAll(WorkflowId IN (${workflow:singlequote}), $workflow)';

/**
 * A run's workflow is recorded on its run span, so span-level views (llm_calls,
 * failures) are narrowed to the workflow's runs through the span_facts sorting key.
 */
const WORKFLOW_RUNS =
  '$__conditionalAll((ProjectId, RunId) IN (SELECT ProjectId, RunId FROM span_facts' +
  ` WHERE Role = 'run' AND WorkflowId IN (\${workflow:singlequote}) AND ${PROJECT}), $workflow)`;

/** Rows of span-level views (llm_calls, failures) in the time range and the selected scope. */
export const SPANS_IN_SCOPE = `$__timeFilter(Timestamp) AND ${PROJECT} AND ${SERVICE} AND ${WORKFLOW_RUNS}`;

/**
 * Runs that started in the time range, in the selected scope. The runs view aggregates
 * span_facts; the key pre-filter (every run starting in the range has a span in it) lets
 * ClickHouse read only those runs instead of aggregating the project's whole history.
 */
export const RUNS_IN_SCOPE =
  '(ProjectId, RunId) IN (SELECT ProjectId, RunId FROM span_facts' +
  ` WHERE $__timeFilter(Timestamp) AND ${PROJECT}) AND $__timeFilter(StartTime) AND ${PROJECT} AND ${SERVICE} AND ${WORKFLOW}`;

/**
 * Failures that did not merely propagate a failed child (a step failing because its
 * last attempt failed, a run failing because a step did): the root causes. Children
 * start after their parent, so the lower time bound alone keeps every child in reach.
 */
export const ROOT_CAUSE =
  '(TraceId, SpanId) NOT IN (SELECT TraceId, ParentSpanId FROM span_facts' +
  ` WHERE FailureClass != '' AND Timestamp >= $__fromTime AND ${PROJECT})`;

/** Panels about one trace, picked with the `trace_id` variable (set by the runs table's link). */
export const SELECTED_TRACE = `TraceId = \${trace_id:singlequote} AND ${PROJECT}`;
