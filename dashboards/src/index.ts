// Every FlowTrace dashboard and provisioning file, rendered deterministically.
import { cost } from './cost.ts';
import { failures } from './failures.ts';
import { overview } from './overview.ts';
import { buildDashboard, type DashboardSpec } from './panels.ts';
import { dashboardProviderYaml, datasourceYaml } from './provisioning.ts';
import { runs } from './runs.ts';

export const DASHBOARDS: readonly DashboardSpec[] = [overview, cost, failures, runs];

/** JSON with object keys sorted at every level, 2-space indented, newline-terminated. */
export function stableJson(value: unknown): string {
  const sorted = (_key: string, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v;
  return `${JSON.stringify(value, sorted, 2)}\n`;
}

/** Generated files by path relative to the dashboards folder. */
export function renderFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of DASHBOARDS) files.set(`json/${spec.uid}.json`, stableJson(buildDashboard(spec)));
  files.set('provisioning/datasources/clickhouse.yaml', datasourceYaml());
  files.set('provisioning/dashboards/flowtrace.yaml', dashboardProviderYaml());
  return files;
}
