// Failures: the failure taxonomy (class and reason) over time, what recovered and what
// did not. Counts root causes: a step or run failing because a child failed is not counted again.
import type { DashboardSpec, PanelSpec } from './panels.ts';
import { FAILURES_IN_RANGE, FAILURES_IN_SCOPE, ROOT_CAUSE, RUNS_IN_RANGE, RUNS_IN_SCOPE } from './sql.ts';
import { openTrace } from './runs.ts';
import { scopeVariables } from './variables.ts';

const ROOT_CAUSES = `${FAILURES_IN_SCOPE} AND ${ROOT_CAUSE}`;
const OUTCOME_COLORS = { recovered: 'green', terminal: 'red', pending: 'blue' };

const stat = (title: string, description: string, sql: string, column: string, unit: string): PanelSpec => ({
  kind: 'stat', title, description, sql, columns: [{ name: column }], unit, width: 6, height: 4,
});

export const failures: DashboardSpec = {
  uid: 'flowtrace-failures',
  title: 'FlowTrace / Failures',
  description: 'Failure taxonomy (model, tool, retrieval, orchestration) over time, top reasons, recovered vs terminal.',
  variables: scopeVariables(),
  sections: [
    {
      title: 'Totals',
      panels: [
        stat('Failed runs', 'Runs that ended in failure.', `SELECT countIf(Status = 'failed') AS failed_runs
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}`, 'failed_runs', 'short'),
        stat('Run failure rate', 'Failed runs out of finished runs.', `SELECT countIf(Status = 'failed') / nullIf(countIf(Status != 'running'), 0) AS failure_rate
FROM ${RUNS_IN_RANGE}
WHERE ${RUNS_IN_SCOPE}`, 'failure_rate', 'percentunit'),
        stat('Failures', 'Root-cause failures: failed spans none of whose children failed.', `SELECT count() AS failures
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}`, 'failures', 'short'),
        stat('Recovered', 'Root-cause failures a retry or fallback recovered from.', `SELECT countIf(Outcome = 'recovered') / nullIf(countIf(Outcome != 'pending'), 0) AS recovered_share
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}`, 'recovered_share', 'percentunit'),
      ],
    },
    {
      title: 'Taxonomy',
      panels: [
        {
          kind: 'timeseries', title: 'Failures by class', description: 'Root-cause failures per class over time.',
          sql: `SELECT $__timeInterval(Timestamp) AS time, FailureClass, count() AS failures
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}
GROUP BY time, FailureClass
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'FailureClass' }, { name: 'failures' }], unit: 'short', width: 16, height: 8,
        },
        {
          kind: 'piechart', title: 'Recovered vs terminal', description: 'Outcome of root-cause failures (pending: the enclosing span has not arrived yet).',
          sql: `SELECT Outcome, count() AS failures
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}
GROUP BY Outcome
ORDER BY Outcome`,
          columns: [{ name: 'Outcome' }, { name: 'failures' }], unit: 'short', width: 8, height: 8,
        },
        {
          kind: 'table', title: 'Top failure reasons', description: 'Root-cause failures per class and reason.',
          sql: `SELECT FailureClass AS Class, FailureReason AS Reason, count() AS Failures,
  countIf(Outcome = 'recovered') AS Recovered, countIf(Outcome = 'terminal') AS Terminal,
  uniqExact(RunId) AS Runs, max(Timestamp) AS "Last seen"
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}
GROUP BY Class, Reason
ORDER BY Failures DESC
LIMIT 20`,
          columns: [
            { name: 'Class' }, { name: 'Reason' }, { name: 'Failures' }, { name: 'Recovered' }, { name: 'Terminal' },
            { name: 'Runs' }, { name: 'Last seen' },
          ],
          width: 12, height: 9,
        },
        {
          kind: 'timeseries', title: 'Recovered vs terminal over time', description: 'Root-cause failures by outcome over time.',
          sql: `SELECT $__timeInterval(Timestamp) AS time,
  countIf(Outcome = 'recovered') AS recovered,
  countIf(Outcome = 'terminal') AS terminal,
  countIf(Outcome = 'pending') AS pending
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}
GROUP BY time
ORDER BY time`,
          columns: [{ name: 'time' }, { name: 'recovered' }, { name: 'terminal' }, { name: 'pending' }], unit: 'short', width: 12, height: 9,
        },
      ],
    },
    {
      title: 'Recent',
      panels: [
        {
          kind: 'table', title: 'Recent failures', description: 'Latest root-cause failures. Click a trace id to open the run.',
          sql: `SELECT Timestamp AS Time, RunId AS Run, ServiceName AS Service, SpanName AS Span, Provider, RequestModel AS Model,
  Attempt, FailureClass AS Class, FailureReason AS Reason, Outcome, StatusMessage AS Message, TraceId AS Trace
FROM ${FAILURES_IN_RANGE}
WHERE ${ROOT_CAUSES}
ORDER BY Timestamp DESC
LIMIT 200`,
          columns: [
            { name: 'Time' }, { name: 'Run' }, { name: 'Service' }, { name: 'Span' }, { name: 'Provider' }, { name: 'Model' },
            { name: 'Attempt' }, { name: 'Class' }, { name: 'Reason' }, { name: 'Outcome', colors: OUTCOME_COLORS },
            { name: 'Message' }, { name: 'Trace', link: openTrace },
          ],
          width: 24, height: 10,
        },
      ],
    },
  ],
};
