// Checkpoint housekeeping for the scheduler: whether a run can resume from its checkpoint,
// and removing the checkpoints of finished runs.
import { FileCheckpointSaver } from '../../executor/index.ts';

export interface Checkpoints {
  has(runId: string): Promise<boolean>;
  /** Queues the run's checkpoints for removal. */
  remove(runId: string): void;
}

export function checkpointsIn(dir: string): Checkpoints {
  const saver = new FileCheckpointSaver(dir);
  const finished: string[] = [];
  let sweeping = false;
  // One directory at a time in the background: a burst of removals would hold the thread
  // pool that running runs need for their own checkpoint writes.
  const sweep = async () => {
    sweeping = true;
    for (let runId = finished.shift(); runId !== undefined; runId = finished.shift()) {
      try {
        await removeThread(saver, runId);
      } catch (err) {
        process.emitWarning(`flowtrace: checkpoints of run ${runId} not removed: ${(err as Error).message}`);
      }
    }
    sweeping = false;
  };
  return {
    has: async (runId) => (await saver.getTuple({ configurable: { thread_id: runId, checkpoint_ns: '' } })) !== undefined,
    remove: (runId) => {
      finished.push(runId);
      if (!sweeping) void sweep();
    },
  };
}

/** A cancelled run's last pending-write file may still be landing: try again briefly. */
async function removeThread(saver: FileCheckpointSaver, runId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await saver.deleteThread(runId);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' || attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
