import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowSpec } from '../../executor/index.ts';
import { ChdbStore } from '../../storage/chdb/chdb-store.ts';
import { WorkflowConflictError, WorkflowStore } from './workflow-store.ts';

// chdb binds one data directory per process: the file shares one store.
const dir = mkdtempSync(join(tmpdir(), 'flowtrace-workflow-store-'));
const store = new ChdbStore({ dataDir: dir });
const workflows = new WorkflowStore(store);

beforeAll(() => store.migrate());
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const graph = (id: string, template: string): WorkflowSpec => ({
  version: '1',
  id,
  entry: 'a',
  nodes: [{ id: 'a', type: 'tool', config: { tool: 'template', template } }],
  edges: [],
});

describe('WorkflowStore', () => {
  it('keeps every version and serves the newest by default', async () => {
    await workflows.create('p1', 'wf-a', { name: 'A', description: 'first', graph: graph('wf-a', 'one') });
    const second = await workflows.addVersion('p1', 'wf-a', (latest) => ({ ...latest, graph: graph('wf-a', 'two') }));
    expect(second).toMatchObject({ version: 2, latestVersion: 2, name: 'A', description: 'first' });
    const third = await workflows.addVersion('p1', 'wf-a', (latest) => ({ ...latest, name: 'A3' }));
    expect(third?.version).toBe(3);

    expect(await workflows.get('p1', 'wf-a')).toMatchObject({ version: 3, latestVersion: 3, name: 'A3' });
    const v1 = await workflows.get('p1', 'wf-a', 1);
    expect(v1).toMatchObject({ version: 1, latestVersion: 3, name: 'A' });
    expect(v1?.graph.nodes[0]).toMatchObject({ config: { template: 'one' } });
    expect((await workflows.get('p1', 'wf-a', 2))?.graph.nodes[0]).toMatchObject({ config: { template: 'two' } });
    expect(await workflows.get('p1', 'wf-a', 4)).toBeUndefined();
  });

  it('numbers concurrent updates without gaps or collisions', async () => {
    await workflows.create('p1', 'wf-busy', { name: 'busy', description: '', graph: graph('wf-busy', 'v1') });
    const versions = await Promise.all(
      Array.from({ length: 6 }, (_, i) => workflows.addVersion('p1', 'wf-busy', (latest) => ({ ...latest, description: `update ${i}` }))),
    );
    expect(versions.map((v) => v?.version).sort()).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('refuses a second workflow with the same id, also after concurrent creates', async () => {
    const results = await Promise.allSettled([1, 2, 3].map(() => workflows.create('p1', 'wf-dup', { name: 'd', description: '', graph: graph('wf-dup', 'x') })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WorkflowConflictError);
    }
  });

  it('soft-deletes: versions stay readable, the workflow leaves the list and takes no updates', async () => {
    await workflows.create('p1', 'wf-del', { name: 'del', description: '', graph: graph('wf-del', 'x') });
    await workflows.addVersion('p1', 'wf-del', (latest) => ({ ...latest, name: 'del2' }));
    expect(await workflows.delete('p1', 'wf-del')).toBe(true);
    expect(await workflows.delete('p1', 'wf-del')).toBe(false);

    const latest = await workflows.get('p1', 'wf-del');
    expect(latest).toMatchObject({ version: 2, latestVersion: 2, name: 'del2' });
    expect(latest?.deletedAt).toBeGreaterThan(0);
    expect(await workflows.get('p1', 'wf-del', 1)).toMatchObject({ version: 1, name: 'del' });
    expect(await workflows.addVersion('p1', 'wf-del', (l) => l)).toBeUndefined();
    await expect(workflows.create('p1', 'wf-del', { name: 'again', description: '', graph: graph('wf-del', 'y') })).rejects.toThrow(/was deleted/);
    const all = await workflows.list('p1', 100);
    expect(all.workflows.map((w) => w.id)).not.toContain('wf-del');
  });

  it('pages through the list newest first and scopes it by project', async () => {
    for (const id of ['l1', 'l2', 'l3', 'l4', 'l5']) {
      await workflows.create('p2', id, { name: id, description: '', graph: graph(id, id) });
    }
    await workflows.create('p3', 'other', { name: 'other', description: '', graph: graph('other', 'o') });
    const seen: string[] = [];
    let page = await workflows.list('p2', 2);
    seen.push(...page.workflows.map((w) => w.id));
    while (page.next) {
      page = await workflows.list('p2', 2, page.next);
      seen.push(...page.workflows.map((w) => w.id));
    }
    expect(seen).toEqual(['l5', 'l4', 'l3', 'l2', 'l1']);
    expect(await workflows.get('p3', 'l1')).toBeUndefined();
    expect((await workflows.list('p3', 10)).workflows.map((w) => w.id)).toEqual(['other']);
  });
});
