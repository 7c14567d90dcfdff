import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_DATASOURCE_UID, CLICKHOUSE_PLUGIN_ID } from './src/clickhouse.ts';
import { DASHBOARDS, renderFiles } from './src/index.ts';
import { GRID_WIDTH } from './src/panels.ts';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const files = renderFiles();

interface JsonPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { rawSql: string; format: number; datasource: { uid: string } }[];
  fieldConfig?: { overrides: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[] };
}
interface JsonDashboard {
  uid: string;
  panels: JsonPanel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
}

const committed = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const dashboardsJson = DASHBOARDS.map((spec) => JSON.parse(files.get(`json/${spec.uid}.json`) as string) as JsonDashboard);

describe('generated files', () => {
  it.each([...files.keys()])('%s is committed and in sync with the builders', (path) => {
    expect(committed(path), `run npm run dashboards`).toBe(files.get(path));
  });

  it('renders identically twice (deterministic)', () => {
    expect([...renderFiles()]).toEqual([...files]);
  });

  it('sorts keys at every level', () => {
    const check = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(check);
      if (value === null || typeof value !== 'object') return;
      const keys = Object.keys(value);
      expect(keys).toEqual([...keys].sort());
      Object.values(value).forEach(check);
    };
    dashboardsJson.forEach(check);
  });
});

describe.each(dashboardsJson.map((d) => [d.uid, d] as const))('dashboard %s', (_uid, dashboard) => {
  const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');

  it('lays panels out on the 24-column grid without overlap, with unique ids', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(GRID_WIDTH);
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('queries the fixed ClickHouse datasource', () => {
    for (const p of queryPanels) {
      expect(p.datasource).toEqual({ type: CLICKHOUSE_PLUGIN_ID, uid: CLICKHOUSE_DATASOURCE_UID });
      expect(p.targets?.map((t) => t.datasource.uid)).toEqual([CLICKHOUSE_DATASOURCE_UID]);
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) expect(v.datasource?.uid).toBe(CLICKHOUSE_DATASOURCE_UID);
  });

  it('defines project, service and workflow variables and filters every panel by the project', () => {
    const names = dashboard.templating.list.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(['project', 'service', 'workflow']));
    for (const p of queryPanels) {
      const sql = p.targets?.[0]?.rawSql ?? '';
      expect(sql, p.title).toContain('$__conditionalAll(ProjectId IN (${project:singlequote}), $project)');
      // Scoped by the time range (a filter, or a view bounded by it), or by one trace (which bounds its own time range).
      const inRange = /\$__timeFilter\(|_between\(from = \$__fromTime, to = \$__toTime\)/.test(sql);
      expect(inRange || sql.includes('${trace_id:singlequote}'), p.title).toBe(true);
      if (inRange) {
        expect(sql, p.title).toContain('$__conditionalAll(ServiceName IN (${service:singlequote}), $service)');
        expect(sql, p.title).toContain('${workflow:singlequote}');
      }
    }
  });

  it('reads otel_traces only for one trace, within its time bounds', () => {
    for (const p of queryPanels) {
      const sql = p.targets?.[0]?.rawSql ?? '';
      if (!/\botel_traces\b/.test(sql)) continue;
      expect(p.type).toBe('traces');
      expect(p.targets?.[0]?.format).toBe(3);
      expect(sql).toContain('"Timestamp" >= __gf_trace_start AND "Timestamp" <= __gf_trace_end');
    }
  });
});

describe('runs dashboard', () => {
  const runs = dashboardsJson.find((d) => d.uid === 'flowtrace-runs') as JsonDashboard;

  it('links trace ids in the runs table to the trace panel through the trace_id variable', () => {
    const table = runs.panels.find((p) => p.type === 'table' && p.title === 'Runs') as JsonPanel;
    const trace = table.fieldConfig?.overrides.find((o) => o.matcher.options === 'Trace');
    const links = trace?.properties.find((p) => p.id === 'links')?.value as { url: string }[];
    expect(links[0]?.url).toMatch(/^\/d\/flowtrace-runs\/.*var-trace_id=\$\{__value\.raw\}/);
    expect(runs.templating.list.find((v) => v.name === 'trace_id')?.type).toBe('textbox');
    const tracePanel = runs.panels.find((p) => p.type === 'traces') as JsonPanel;
    expect(tracePanel.targets?.[0]?.rawSql).toMatch(/^WITH \$\{trace_id:singlequote\} as __gf_trace_id/);
  });
});

describe('provisioning', () => {
  it('provisions the ClickHouse datasource over HTTP from environment variables, with the fixed uid', () => {
    const yaml = files.get('provisioning/datasources/clickhouse.yaml') as string;
    expect(yaml).toContain(`uid: ${CLICKHOUSE_DATASOURCE_UID}`);
    expect(yaml).toContain(`type: ${CLICKHOUSE_PLUGIN_ID}`);
    expect(yaml).toMatch(/protocol: http\n/);
    expect(yaml).toMatch(/host: \$\{FLOWTRACE_CLICKHOUSE_HOST\}\n/);
    expect(yaml).toMatch(/port: \$\{FLOWTRACE_CLICKHOUSE_PORT\}\n/);
    expect(yaml).toMatch(/defaultTable: otel_traces\n/);
  });

  it('loads dashboards from the folder docker-compose mounts', () => {
    const yaml = files.get('provisioning/dashboards/flowtrace.yaml') as string;
    expect(yaml).toMatch(/type: file\n/);
    expect(yaml).toMatch(/path: \/var\/lib\/grafana\/dashboards\n/);
  });
});
