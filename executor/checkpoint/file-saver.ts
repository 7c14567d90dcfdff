// A LangGraph checkpointer that keeps each thread's checkpoints in files, so a run killed
// mid-way can be resumed by another process: `<dir>/<thread>/<namespace>/<checkpoint id>.json`
// plus, under `<checkpoint id>.writes/`, one file per putWrites call (a task's writes land
// together or not at all). Every file is written to a temporary name, flushed and renamed,
// so a crash never leaves a torn file behind.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  BaseCheckpointSaver,
  WRITES_IDX_MAP,
  copyCheckpoint,
  getCheckpointId,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';

interface Serialized {
  type: string;
  /** base64 */
  data: string;
}

interface CheckpointFile {
  checkpoint: Serialized;
  metadata: Serialized;
  parentCheckpointId?: string;
}

interface WriteFile {
  taskId: string;
  writes: Array<{ slot: number; channel: string; value: Serialized }>;
}

/** Thread ids become directory names: only plain names, never paths. */
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

function assertSafeName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SAFE_NAME.test(value)) {
    throw new Error(`checkpoint ${field} must match ${SAFE_NAME} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Namespaces and task ids may contain ':' and '|'; encode them into file-name-safe form. */
const encodeName = (value: string): string => `n${Buffer.from(value).toString('base64url')}`;

async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export class FileCheckpointSaver extends BaseCheckpointSaver {
  private writeSequence = 0;

  constructor(
    /** Root folder, e.g. `.flowtrace/checkpoints`. */
    readonly dir: string,
    serde?: SerializerProtocol,
  ) {
    super(serde);
  }

  private namespaceDir(threadId: unknown, namespace: string): string {
    return join(this.dir, assertSafeName('thread_id', threadId), encodeName(namespace));
  }

  private async serialize(value: unknown): Promise<Serialized> {
    const [type, data] = await this.serde.dumpsTyped(value);
    return { type, data: Buffer.from(data).toString('base64') };
  }

  private deserialize(value: Serialized): Promise<unknown> {
    return this.serde.loadsTyped(value.type, Buffer.from(value.data, 'base64'));
  }

  /** Checkpoint ids (uuid6) of a namespace, newest first. */
  private async checkpointIds(nsDir: string): Promise<string[]> {
    return (await listNames(nsDir))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .sort((a, b) => b.localeCompare(a));
  }

  /** The checkpoint's pending writes, keyed like MemorySaver: a regular write of a task is never replaced. */
  private async pendingWrites(nsDir: string, checkpointId: string): Promise<CheckpointPendingWrite[]> {
    const writesDir = join(nsDir, `${checkpointId}.writes`);
    const names = (await listNames(writesDir)).filter((name) => name.endsWith('.json')).sort();
    const bySlot = new Map<string, CheckpointPendingWrite>();
    for (const name of names) {
      const file = await readJson<WriteFile>(join(writesDir, name));
      for (const write of file?.writes ?? []) {
        const key = `${file!.taskId},${write.slot}`;
        if (write.slot >= 0 && bySlot.has(key)) continue;
        bySlot.set(key, [file!.taskId, write.channel, await this.deserialize(write.value)]);
      }
    }
    return [...bySlot.values()];
  }

  private async tuple(threadId: string, namespace: string, checkpointId: string): Promise<CheckpointTuple | undefined> {
    const nsDir = this.namespaceDir(threadId, namespace);
    const file = await readJson<CheckpointFile>(join(nsDir, `${assertSafeName('checkpoint_id', checkpointId)}.json`));
    if (!file) return undefined;
    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: checkpointId } },
      checkpoint: (await this.deserialize(file.checkpoint)) as Checkpoint,
      metadata: (await this.deserialize(file.metadata)) as CheckpointMetadata,
      pendingWrites: await this.pendingWrites(nsDir, checkpointId),
    };
    if (file.parentCheckpointId !== undefined) {
      tuple.parentConfig = {
        configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: file.parentCheckpointId },
      };
    }
    return tuple;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = assertSafeName('thread_id', config.configurable?.thread_id);
    const namespace: string = config.configurable?.checkpoint_ns ?? '';
    const checkpointId = getCheckpointId(config) || (await this.checkpointIds(this.namespaceDir(threadId, namespace)))[0];
    return checkpointId ? this.tuple(threadId, namespace, checkpointId) : undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let { limit } = options;
    const threadIds = config.configurable?.thread_id !== undefined ? [config.configurable.thread_id as string] : await listNames(this.dir);
    const wantedNamespace: string | undefined = config.configurable?.checkpoint_ns;
    const wantedId: string | undefined = config.configurable?.checkpoint_id;
    const beforeId: string | undefined = before?.configurable?.checkpoint_id;
    for (const threadId of threadIds) {
      for (const encoded of await listNames(join(this.dir, assertSafeName('thread_id', threadId)))) {
        const namespace = Buffer.from(encoded.slice(1), 'base64url').toString();
        if (wantedNamespace !== undefined && namespace !== wantedNamespace) continue;
        for (const checkpointId of await this.checkpointIds(join(this.dir, threadId, encoded))) {
          if (wantedId && checkpointId !== wantedId) continue;
          if (beforeId && checkpointId >= beforeId) continue;
          const tuple = await this.tuple(threadId, namespace, checkpointId);
          if (!tuple) continue;
          const metadata = (tuple.metadata ?? {}) as Record<string, unknown>;
          if (filter && !Object.entries(filter).every(([key, value]) => metadata[key] === value)) continue;
          if (limit !== undefined) {
            if (limit <= 0) return;
            limit -= 1;
          }
          yield tuple;
        }
      }
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, _newVersions: ChannelVersions): Promise<RunnableConfig> {
    const threadId = config.configurable?.thread_id;
    const namespace: string = config.configurable?.checkpoint_ns ?? '';
    const nsDir = this.namespaceDir(threadId, namespace);
    await mkdir(nsDir, { recursive: true });
    const file: CheckpointFile = {
      checkpoint: await this.serialize(copyCheckpoint(checkpoint)),
      metadata: await this.serialize(metadata),
      parentCheckpointId: config.configurable?.checkpoint_id,
    };
    await writeAtomically(join(nsDir, `${assertSafeName('checkpoint_id', checkpoint.id)}.json`), JSON.stringify(file));
    return { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const threadId = config.configurable?.thread_id;
    const namespace: string = config.configurable?.checkpoint_ns ?? '';
    const checkpointId = assertSafeName('checkpoint_id', config.configurable?.checkpoint_id);
    const writesDir = join(this.namespaceDir(threadId, namespace), `${checkpointId}.writes`);
    await mkdir(writesDir, { recursive: true });
    const file: WriteFile = {
      taskId,
      writes: await Promise.all(
        writes.map(async ([channel, value], index) => ({ slot: WRITES_IDX_MAP[channel] ?? index, channel, value: await this.serialize(value) })),
      ),
    };
    // Sorted listing = per task, in call order.
    const sequence = `${String(Date.now()).padStart(15, '0')}-${String(++this.writeSequence).padStart(9, '0')}`;
    await writeAtomically(join(writesDir, `${encodeName(taskId)}.${sequence}.json`), JSON.stringify(file));
  }

  async deleteThread(threadId: string): Promise<void> {
    await rm(join(this.dir, assertSafeName('thread_id', threadId)), { recursive: true, force: true });
  }
}
