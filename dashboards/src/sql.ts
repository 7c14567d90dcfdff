// SQL fragments every panel shares: the template-variable filters and the time scoping
// of each view. Filters use the datasource's $__conditionalAll so that "All" costs nothing;
// the time range bounds what is read (the views over span_facts skip the days outside it).

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

/** The selected scope on span-level rows (llm_calls, failures). */
const SPAN_SCOPE = `${PROJECT} AND ${SERVICE} AND ${WORKFLOW_RUNS}`;

/** Rows of span-level views (llm_calls) in the time range and the selected scope. */
export const SPANS_IN_SCOPE = `$__timeFilter(Timestamp) AND ${SPAN_SCOPE}`;

/**
 * Runs that started in the time range, with their totals: runs_started_between reads only
 * the days since the range's start (the `runs` view would aggregate every run there is).
 */
export const RUNS_IN_RANGE = 'runs_started_between(from = $__fromTime, to = $__toTime)';

/** The selected scope on runs (RUNS_IN_RANGE). */
export const RUNS_IN_SCOPE = `${PROJECT} AND ${SERVICE} AND ${WORKFLOW}`;

/** Failed spans in the time range with their outcome, reading only the range's days. */
export const FAILURES_IN_RANGE = 'failures_between(from = $__fromTime, to = $__toTime)';

/** The selected scope on FAILURES_IN_RANGE. */
export const FAILURES_IN_SCOPE = SPAN_SCOPE;

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
