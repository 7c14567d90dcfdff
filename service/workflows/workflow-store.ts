// Workflows in ClickHouse (table workflow_versions, migration 006): append-only and scoped
// by project. A create adds version 1, an update the next version, a delete a tombstone;
// nothing is changed in place, so every version stays readable for the runs that used it.
// Writes to one workflow are serialised in this process, so versions never collide.
import type { WorkflowSpec } from '../../executor/index.ts';
import type { SpanStore } from '../../storage/store.ts';
import { insertRows, selectRows, sqlTime } from '../storage-rows.ts';

export interface WorkflowVersion {
  id: string;
  version: number;
  name: string;
  description: string;
  graph: WorkflowSpec;
  /** When this version was written (ms since the epoch). */
  createdAt: number;
  /** The workflow's newest version. */
  latestVersion: number;
  /** When the workflow was deleted (ms since the epoch); absent while it exists. */
  deletedAt?: number;
}

export interface WorkflowListItem {
  id: string;
  latestVersion: number;
  name: string;
  description: string;
  /** When version 1 was written (ms). */
  createdAt: number;
  /** When the newest version was written (ms). */
  updatedAt: number;
  /** The newest version's graph. */
  graph: WorkflowSpec;
}

export interface WorkflowPage {
  workflows: WorkflowListItem[];
  /** Where the next page starts; undefined on the last page. */
  next?: WorkflowCursor;
}

/** Keyset position in the list (newest created first, then id). */
export interface WorkflowCursor {
  createdAt: number;
  id: string;
}

export interface NewVersion {
  name: string;
  description: string;
  graph: WorkflowSpec;
}

/** A workflow with this id already exists (create), or was deleted. */
export class WorkflowConflictError extends Error {
  override name = 'WorkflowConflictError';
}

type Store = Pick<SpanStore, 'execute'>;

interface VersionRow {
  Version: number;
  Name: string;
  Description: string;
  GraphJson: string;
  CreatedAt: string;
  Latest: number;
  DeletedAt: string;
}

interface ListRow {
  WorkflowId: string;
  Latest: number;
  Name: string;
  Description: string;
  GraphJson: string;
  CreatedAt: string;
  UpdatedAt: string;
}

export class WorkflowStore {
  /** Per-workflow write chains: one write at a time per (project, id). */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(private readonly store: Store) {}

  /** Adds version 1 of a new workflow; throws WorkflowConflictError when the id is taken (also by a deleted one). */
  create(projectId: string, id: string, first: NewVersion): Promise<WorkflowVersion> {
    return this.serialised(projectId, id, async () => {
      const state = await this.state(projectId, id);
      if (state !== undefined) {
        throw new WorkflowConflictError(
          state.deleted ? `workflow "${id}" existed and was deleted; choose another id` : `workflow "${id}" already exists; PUT /api/workflows/${id} adds a version`,
        );
      }
      return this.append(projectId, id, 1, first);
    });
  }

  /** Adds the next version; undefined when the workflow does not exist (or was deleted). */
  addVersion(projectId: string, id: string, next: (latest: WorkflowVersion) => NewVersion): Promise<WorkflowVersion | undefined> {
    return this.serialised(projectId, id, async () => {
      const latest = await this.get(projectId, id);
      if (latest === undefined || latest.deletedAt !== undefined) return undefined;
      return this.append(projectId, id, latest.version + 1, next(latest));
    });
  }

  /** Writes the tombstone; false when there is nothing (left) to delete. */
  delete(projectId: string, id: string): Promise<boolean> {
    return this.serialised(projectId, id, async () => {
      const state = await this.state(projectId, id);
      if (state === undefined || state.deleted) return false;
      await this.insert({ ProjectId: projectId, WorkflowId: id, Version: state.latest, Deleted: 1, Name: '', Description: '', GraphJson: '', CreatedAt: sqlTime(Date.now()) });
      return true;
    });
  }

  /** A version (default: the newest), also of a deleted workflow (`deletedAt` says so). */
  async get(projectId: string, id: string, version?: number): Promise<WorkflowVersion | undefined> {
    const rows = await selectRows<VersionRow>(
      this.store,
      `SELECT Version, Name, Description, GraphJson, toString(toUnixTimestamp64Milli(CreatedAt)) AS CreatedAt,
              (SELECT max(Version) FROM workflow_versions WHERE ProjectId = {project:String} AND WorkflowId = {id:String}) AS Latest,
              (SELECT toString(toUnixTimestamp64Milli(max(CreatedAt))) FROM workflow_versions
                 WHERE ProjectId = {project:String} AND WorkflowId = {id:String} AND Deleted = 1) AS DeletedAt
       FROM workflow_versions
       WHERE ProjectId = {project:String} AND WorkflowId = {id:String} AND Deleted = 0 ${version === undefined ? '' : 'AND Version = {version:UInt32}'}
       ORDER BY Version DESC LIMIT 1`,
      { project: projectId, id, ...(version === undefined ? {} : { version: String(version) }) },
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const deletedAt = Number(row.DeletedAt);
    return {
      id,
      version: Number(row.Version),
      name: row.Name,
      description: row.Description,
      graph: JSON.parse(row.GraphJson) as WorkflowSpec,
      createdAt: Number(row.CreatedAt),
      latestVersion: Number(row.Latest),
      ...(deletedAt > 0 ? { deletedAt } : {}),
    };
  }

  /** Workflows that exist (not deleted), newest created first. */
  async list(projectId: string, limit: number, after?: WorkflowCursor): Promise<WorkflowPage> {
    const params: Record<string, string> = { project: projectId, limit: String(limit + 1) };
    let position = '';
    if (after) {
      position = 'HAVING (CreatedAt, WorkflowId) < ({afterCreated:UInt64}, {afterId:String})';
      params.afterCreated = String(after.createdAt);
      params.afterId = after.id;
    }
    const rows = await selectRows<ListRow>(
      this.store,
      `SELECT WorkflowId,
              max(Version) AS Latest,
              argMax(Name, Version) AS Name,
              argMax(Description, Version) AS Description,
              argMax(GraphJson, Version) AS GraphJson,
              toUnixTimestamp64Milli(min(workflow_versions.CreatedAt)) AS CreatedAt,
              toUnixTimestamp64Milli(max(workflow_versions.CreatedAt)) AS UpdatedAt
       FROM workflow_versions
       WHERE ProjectId = {project:String}
         AND WorkflowId NOT IN (SELECT WorkflowId FROM workflow_versions WHERE ProjectId = {project:String} AND Deleted = 1)
       GROUP BY WorkflowId
       ${position}
       ORDER BY CreatedAt DESC, WorkflowId DESC
       LIMIT {limit:UInt32}`,
      params,
    );
    const page = rows.slice(0, limit).map((row) => ({
      id: row.WorkflowId,
      latestVersion: Number(row.Latest),
      name: row.Name,
      description: row.Description,
      graph: JSON.parse(row.GraphJson) as WorkflowSpec,
      createdAt: Number(row.CreatedAt),
      updatedAt: Number(row.UpdatedAt),
    }));
    const last = page[page.length - 1];
    return { workflows: page, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : undefined };
  }

  /** Whether the id is in use: its newest version and whether it was deleted. */
  private async state(projectId: string, id: string): Promise<{ latest: number; deleted: boolean } | undefined> {
    const rows = await selectRows<{ Latest: number; Deleted: number; Versions: string }>(
      this.store,
      `SELECT max(Version) AS Latest, max(Deleted) AS Deleted, count() AS Versions
       FROM workflow_versions WHERE ProjectId = {project:String} AND WorkflowId = {id:String}`,
      { project: projectId, id },
    );
    const row = rows[0];
    if (row === undefined || Number(row.Versions) === 0) return undefined;
    return { latest: Number(row.Latest), deleted: Number(row.Deleted) === 1 };
  }

  private async append(projectId: string, id: string, version: number, content: NewVersion): Promise<WorkflowVersion> {
    const createdAt = Date.now();
    await this.insert({
      ProjectId: projectId,
      WorkflowId: id,
      Version: version,
      Deleted: 0,
      Name: content.name,
      Description: content.description,
      GraphJson: JSON.stringify(content.graph),
      CreatedAt: sqlTime(createdAt),
    });
    return { id, version, name: content.name, description: content.description, graph: content.graph, createdAt, latestVersion: version };
  }

  private insert(row: Record<string, unknown>): Promise<void> {
    return insertRows(this.store, 'workflow_versions', [row]);
  }

  private serialised<T>(projectId: string, id: string, write: () => Promise<T>): Promise<T> {
    const key = `${projectId}\0${id}`;
    const previous = this.writing.get(key) ?? Promise.resolve();
    const current = previous.then(write);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(key, settled);
    void settled.then(() => {
      if (this.writing.get(key) === settled) this.writing.delete(key);
    });
    return current;
  }
}
