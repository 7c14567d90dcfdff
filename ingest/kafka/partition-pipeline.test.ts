import { describe, expect, it } from 'vitest';
import { PartitionPipeline } from './partition-pipeline.ts';

function deferred() {
  let resolve!: (ok: boolean) => void;
  const promise = new Promise<boolean>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PartitionPipeline', () => {
  it('stores chunks at once but commits them in order, each after the ones before', async () => {
    const pipeline = new PartitionPipeline(3);
    const events: string[] = [];
    const first = deferred();
    pipeline.add(() => { events.push('store 1'); return first.promise; }, async () => { events.push('commit 1'); return true; });
    pipeline.add(async () => { events.push('store 2'); return true; }, async () => { events.push('commit 2'); return true; });
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['store 1', 'store 2']);

    first.resolve(true);
    expect(await pipeline.drained()).toBe(true);
    expect(events).toEqual(['store 1', 'store 2', 'commit 1', 'commit 2']);
  });

  it('commits nothing after a chunk that was given up, nor once revoked', async () => {
    const commits: number[] = [];
    const gaveUp = new PartitionPipeline(3);
    gaveUp.add(async () => false, async () => (commits.push(1), true));
    gaveUp.add(async () => true, async () => (commits.push(2), true));
    expect(await gaveUp.drained()).toBe(false);

    const revoked = new PartitionPipeline(3);
    const stored = deferred();
    revoked.add(() => stored.promise, async () => (commits.push(3), true));
    revoked.revoked = true;
    stored.resolve(true);
    expect(await revoked.drained()).toBe(false);
    expect(commits).toEqual([]);
  });

  it('is full at maxInFlight chunks until the oldest completes', async () => {
    const pipeline = new PartitionPipeline(2);
    const first = deferred();
    pipeline.add(() => first.promise, async () => true);
    pipeline.add(async () => true, async () => true);
    expect(pipeline.full).toBe(true);
    first.resolve(true);
    await pipeline.oldest();
    await pipeline.drained();
    await new Promise((r) => setTimeout(r, 0));
    expect(pipeline.full).toBe(false);
  });
});
