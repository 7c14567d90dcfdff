// The work on one assigned partition. Each chunk is stored as soon as it is decoded — the next
// fetch does not wait for the insert, so decoding and inserting overlap — but chunks are
// committed strictly in offset order, each only once it and every chunk before it were stored.
// So the committed offset never passes data that is not stored. After a rebalance the
// pipeline is revoked: what is still in flight may finish storing, but commits nothing more.

/** Resolves true once done, false when given up (stopping, or the partition was revoked). */
export type Step = () => Promise<boolean>;

export class PartitionPipeline {
  revoked = false;
  /** True while every chunk so far was stored and committed. */
  private chain: Promise<boolean> = Promise.resolve(true);
  /** Completion of each chunk not yet committed or given up, oldest first. */
  private readonly pending: Promise<boolean>[] = [];

  constructor(private readonly maxInFlight: number) {}

  /** Too many chunks in flight: wait for the oldest before adding another. */
  get full(): boolean {
    return this.pending.length >= this.maxInFlight;
  }

  /** The oldest chunk's completion (resolves at once when none is pending). */
  oldest(): Promise<boolean> {
    return this.pending[0] ?? Promise.resolve(true);
  }

  /** Starts `store` now; runs `commit` after it and after every earlier chunk was committed. */
  add(store: Step, commit: Step): void {
    const stored = store();
    const done = this.chain.then(async (ok) => ok && (await stored) && !this.revoked && (await commit()));
    this.chain = done;
    this.pending.push(done);
    void done.finally(() => this.pending.splice(this.pending.indexOf(done), 1));
  }

  /** Resolves once every chunk added so far is committed or given up. */
  drained(): Promise<boolean> {
    return this.chain;
  }
}
