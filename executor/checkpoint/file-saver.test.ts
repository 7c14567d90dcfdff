import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointSaver } from './file-saver.ts';

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

/** a → (b, c in parallel) → d; `failing` nodes throw (after b has finished) while the set holds them. */
function buildGraph(saver: FileCheckpointSaver, calls: string[], failing: Set<string>) {
  const node = (name: string) => async () => {
    calls.push(name);
    if (failing.has(name)) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error(`${name} failed`);
    }
    return { log: [name] };
  };
  return new StateGraph(State)
    .addNode('a', node('a'))
    .addNode('b', node('b'))
    .addNode('c', node('c'))
    .addNode('d', node('d'))
    .addEdge(START, 'a')
    .addEdge('a', 'b')
    .addEdge('a', 'c')
    .addEdge(['b', 'c'], 'd')
    .addEdge('d', END)
    .compile({ checkpointer: saver });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowtrace-checkpoints-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(path: string): Promise<string[]> {
  return (await readdir(path, { recursive: true })).map(String);
}

describe('FileCheckpointSaver', () => {
  it('lets a new process resume a failed run without re-running finished nodes, parallel siblings included', async () => {
    const config = { configurable: { thread_id: 'run-1' } };
    const firstCalls: string[] = [];
    const first = buildGraph(new FileCheckpointSaver(dir), firstCalls, new Set(['c']));
    await expect(first.invoke({}, { ...config, durability: 'sync' })).rejects.toThrow('c failed');
    expect(firstCalls.sort()).toEqual(['a', 'b', 'c']);

    // A fresh saver on the same folder stands for a restarted process.
    const secondCalls: string[] = [];
    const second = buildGraph(new FileCheckpointSaver(dir), secondCalls, new Set());
    const state = await second.getState(config);
    // b's successful write was kept as a pending write of the failed superstep.
    expect([...state.values.log].sort()).toEqual(['a', 'b']);
    expect(state.next).toEqual(['c']);
    const result = await second.invoke(null, config);
    // Only c and d run again.
    expect(secondCalls).toEqual(['c', 'd']);
    expect([...result.log].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect((await filesUnder(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('lists checkpoints newest first with limit, before and metadata filter, and finds the latest', async () => {
    const saver = new FileCheckpointSaver(dir);
    const graph = buildGraph(saver, [], new Set());
    await graph.invoke({}, { configurable: { thread_id: 't' } });
    const all = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 't' } })) all.push(tuple);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const ids = all.map((tuple) => tuple.checkpoint.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect((await saver.getTuple({ configurable: { thread_id: 't' } }))?.checkpoint.id).toBe(ids[0]);
    expect(all[0]!.parentConfig?.configurable?.checkpoint_id).toBe(ids[1]);

    const limited = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 't' } }, { limit: 2, before: { configurable: { checkpoint_id: ids[0] } } })) {
      limited.push(tuple.checkpoint.id);
    }
    expect(limited).toEqual(ids.slice(1, 3));

    const inputs = [];
    for await (const tuple of saver.list({ configurable: { thread_id: 't' } }, { filter: { source: 'input' } })) inputs.push(tuple);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.metadata?.step).toBe(-1);

    const specific = await saver.getTuple({ configurable: { thread_id: 't', checkpoint_id: ids[2] } });
    expect(specific?.checkpoint.id).toBe(ids[2]);
  });

  it('deletes a thread and refuses thread ids that are not plain names', async () => {
    const saver = new FileCheckpointSaver(dir);
    await buildGraph(saver, [], new Set()).invoke({}, { configurable: { thread_id: 'gone' } });
    expect(await saver.getTuple({ configurable: { thread_id: 'gone' } })).toBeDefined();
    await saver.deleteThread('gone');
    expect(await saver.getTuple({ configurable: { thread_id: 'gone' } })).toBeUndefined();
    expect(await filesUnder(dir)).toEqual([]);
    await expect(saver.getTuple({ configurable: { thread_id: '../escape' } })).rejects.toThrow(/checkpoint thread_id must match/);
    await expect(saver.getTuple({ configurable: {} })).rejects.toThrow(/checkpoint thread_id must match/);
  });
});
