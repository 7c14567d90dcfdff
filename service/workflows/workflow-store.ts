// Workflows in ClickHouse (table workflow_versions, migration 006): append-only and scoped
// by project. A create adds version 1, an update the next version, a delete a tombstone;
// nothing is changed in place, so every version stays readable for the runs that used it.
// Writes to one workflow are serialised in this process, so versions never collide; the
// service is the only writer of the table, so what it read or wrote stays true and is kept
// in memory (versions never change; each workflow's head changes only through this class).
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

const key = (projectId: string, id: string) => `${projectId}\0${id}`;

interface VersionRow {
  Name: string;
  Description: string;
  GraphJson: string;
  CreatedAt: string;
}

/** A workflow's newest version and, once deleted, when. */
interface Head {
  latest: number;
  deletedAt?: number;
}

type VersionContent = Pick<WorkflowVersion, 'id' | 'version' | 'name' | 'description' | 'graph' | 'createdAt'>;

/** Version contents kept in memory (least recently used dropped first). */
const CACHED_VERSIONS = 1_000;

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
  private readonly heads = new Map<string, Head>();
  private readonly versions = new Map<string, VersionContent>();

  constructor(private readonly store: Store) {}

  /** Adds version 1 of a new workflow; throws WorkflowConflictError when the id is taken (also by a deleted one). */
  create(projectId: string, id: string, first: NewVersion): Promise<WorkflowVersion> {
    return this.serialised(projectId, id, async () => {
      const head = await this.head(projectId, id);
      if (head !== undefined) {
        throw new WorkflowConflictError(
          head.deletedAt !== undefined
            ? `workflow "${id}" existed and was deleted; choose another id`
            : `workflow "${id}" already exists; PUT /api/workflows/${id} adds a version`,
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
      const head = await this.head(projectId, id);
      if (head === undefined || head.deletedAt !== undefined) return false;
      const deletedAt = Date.now();
      await insertRows(this.store, 'workflow_versions', [
        { ProjectId: projectId, WorkflowId: id, Version: head.latest, Deleted: 1, Name: '', Description: '', GraphJson: '', CreatedAt: sqlTime(deletedAt) },
      ]);
      this.heads.set(key(projectId, id), { latest: head.latest, deletedAt });
      return true;
    });
  }

  /** A version (default: the newest), also of a deleted workflow (`deletedAt` says so). */
  async get(projectId: string, id: string, version?: number): Promise<WorkflowVersion | undefined> {
    const head = await this.head(projectId, id);
    if (head === undefined) return undefined;
    const wanted = version ?? head.latest;
    if (wanted < 1 || wanted > head.latest) return undefined;
    const content = await this.content(projectId, id, wanted);
    return content && { ...content, latestVersion: head.latest, ...(head.deletedAt === undefined ? {} : { deletedAt: head.deletedAt }) };
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

  /** The workflow's head: from memory, else from storage; undefined when the id was never used. */
  private async head(projectId: string, id: string): Promise<Head | undefined> {
    const k = key(projectId, id);
    const known = this.heads.get(k);
    if (known) return known;
    const rows = await selectRows<{ Latest: number; DeletedAt: string; Versions: string }>(
      this.store,
      `SELECT max(Version) AS Latest, toString(maxIf(toUnixTimestamp64Milli(CreatedAt), Deleted = 1)) AS DeletedAt, count() AS Versions
       FROM workflow_versions WHERE ProjectId = {project:String} AND WorkflowId = {id:String}`,
      { project: projectId, id },
    );
    const row = rows[0];
    if (row === undefined || Number(row.Versions) === 0) return undefined;
    const deletedAt = Number(row.DeletedAt);
    const head: Head = deletedAt > 0 ? { latest: Number(row.Latest), deletedAt } : { latest: Number(row.Latest) };
    this.heads.set(k, head);
    return head;
  }

  private async content(projectId: string, id: string, version: number): Promise<VersionContent | undefined> {
    const k = `${key(projectId, id)}\0${version}`;
    const cached = this.versions.get(k);
    if (cached) {
      this.versions.delete(k);
      this.versions.set(k, cached);
      return cached;
    }
    const rows = await selectRows<VersionRow>(
      this.store,
      `SELECT Name, Description, GraphJson, toString(toUnixTimestamp64Milli(CreatedAt)) AS CreatedAt
       FROM workflow_versions
       WHERE ProjectId = {project:String} AND WorkflowId = {id:String} AND Version = {version:UInt32} AND Deleted = 0
       LIMIT 1`,
      { project: projectId, id, version: String(version) },
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const content: VersionContent = {
      id,
      version,
      name: row.Name,
      description: row.Description,
      graph: JSON.parse(row.GraphJson) as WorkflowSpec,
      createdAt: Number(row.CreatedAt),
    };
    this.cache(k, content);
    return content;
  }

  private cache(k: string, content: VersionContent): void {
    this.versions.set(k, content);
    if (this.versions.size > CACHED_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
  }

  private async append(projectId: string, id: string, version: number, content: NewVersion): Promise<WorkflowVersion> {
    const createdAt = Date.now();
    await insertRows(this.store, 'workflow_versions', [
      {
        ProjectId: projectId,
        WorkflowId: id,
        Version: version,
        Deleted: 0,
        Name: content.name,
        Description: content.description,
        GraphJson: JSON.stringify(content.graph),
        CreatedAt: sqlTime(createdAt),
      },
    ]);
    const written: VersionContent = { id, version, name: content.name, description: content.description, graph: content.graph, createdAt };
    this.heads.set(key(projectId, id), { latest: version });
    this.cache(`${key(projectId, id)}\0${version}`, written);
    return { ...written, latestVersion: version };
  }

  private serialised<T>(projectId: string, id: string, write: () => Promise<T>): Promise<T> {
    const k = key(projectId, id);
    const previous = this.writing.get(k) ?? Promise.resolve();
    const current = previous.then(write);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(k, settled);
    void settled.then(() => {
      if (this.writing.get(k) === settled) this.writing.delete(k);
    });
    return current;
  }
}
