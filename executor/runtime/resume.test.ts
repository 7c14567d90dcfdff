import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runWorkflow } from './run.ts';
import type { RunSummary } from './summary.ts';
import { useHarness } from './test-support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** One model per node, so the simulator's per-model counters say which node called. */
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku-latest'] as const;

const flow = {
  version: '1',
  name: 'three-steps',
  entry: 'first',
  inputs: { topic: { default: 'checkpoints' } },
  nodes: [
    { id: 'first', type: 'llm', config: { provider: 'openai', model: MODELS[0], prompt: 'Outline {{input.topic}}' }, retry: { maxAttempts: 1 } },
    { id: 'second', type: 'llm', config: { provider: 'openai', model: MODELS[1], prompt: 'Expand: {{node.first.output}}' }, retry: { maxAttempts: 1 } },
    { id: 'third', type: 'llm', config: { provider: 'anthropic', model: MODELS[2], prompt: 'Conclude: {{node.second.output}}' }, retry: { maxAttempts: 1 } },
  ],
  edges: [
    { from: 'first', to: 'second' },
    { from: 'second', to: 'third' },
  ],
};

const harness = useHarness();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowtrace-resume-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const callsPerModel = () => MODELS.map((model) => harness.calls(model));

describe('resume in the same process', () => {
  it('continues a failed run from its checkpoint: completed llm steps are not called again', async () => {
    await harness.reset({ faults: [{ model: MODELS[2], calls: [1], fault: 'server_error' }] });
    const options = { runner: harness.runner(), telemetry: harness.captured.telemetry, checkpointDir: dir, runId: 'run-a' };
    const failed = await runWorkflow(flow, options);
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'provider_error' });
    expect(callsPerModel()).toEqual([1, 1, 1]);

    const resumed = await runWorkflow(flow, { ...options, resume: true });
    expect(resumed.status).toBe('succeeded');
    expect(callsPerModel()).toEqual([1, 1, 2]);
    expect(resumed.steps.map((s) => [s.nodeId, s.resumed ?? false])).toEqual([
      ['first', true],
      ['second', true],
      ['third', false],
    ]);
    // Outputs of the checkpointed steps are the ones the first attempt produced.
    expect(resumed.steps[0]!.output).toBe(failed.steps[0]!.output);
    expect(resumed.totals.llmCalls).toBe(3);
  });
});

async function bytesUnder(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

describe('checkpoint size', () => {
  it('grows linearly with the number of steps: each output is stored once, not at every superstep', async () => {
    const chainOf = (n: number) => {
      const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, type: 'tool', config: { tool: 'blob' } }));
      return { version: '1', entry: 'n0', nodes, edges: nodes.slice(1).map((node, i) => ({ from: nodes[i]!.id, to: node.id })) };
    };
    const sizes: number[] = [];
    for (const n of [10, 40]) {
      const runId = `size-${n}`;
      await runWorkflow(chainOf(n), { telemetry: harness.captured.telemetry, tools: { blob: () => 'x'.repeat(20_000) }, checkpointDir: dir, runId });
      sizes.push(await bytesUnder(join(dir, runId)));
    }
    // 4× the steps: about 4× the bytes (a full copy per superstep would be about 16×).
    expect(sizes[1]! / sizes[0]!).toBeLessThan(6);
    expect(sizes[1]!).toBeLessThan(40 * 20_000 * 4);
  });
});

function startCli(args: string[]): { child: ChildProcess; output: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      FLOWTRACE_HOME: join(dir, 'home'),
      OPENAI_BASE_URL: harness.address.openaiBaseUrl,
      ANTHROPIC_BASE_URL: harness.address.anthropicBaseUrl,
      OPENAI_API_KEY: 'sk-test',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      OTEL_TRACES_EXPORTER: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const output = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, output };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('kill and resume', () => {
  it('resumes a run whose process was SIGKILLed mid-step, without repeating completed llm calls', async () => {
    // The third node hangs long enough to be killed while it runs.
    await harness.reset({ latency: { models: { [MODELS[2]]: { fixedMs: 30_000 } } } });
    const file = join(dir, 'flow.json');
    await writeFile(file, JSON.stringify(flow));
    const first = startCli([file, '--run-id', 'killed-run', '-q']);
    await waitFor(() => harness.calls(MODELS[2]) === 1, 30_000);
    first.child.kill('SIGKILL');
    expect((await first.output).signal).toBe('SIGKILL');
    expect(callsPerModel()).toEqual([1, 1, 1]);

    await harness.reset();
    const second = startCli([file, '--resume', 'killed-run', '--json']);
    const result = await second.output;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary).toMatchObject({ runId: 'killed-run', status: 'succeeded', resumed: true });
    expect(summary.steps.map((s) => [s.nodeId, s.status, s.resumed ?? false])).toEqual([
      ['first', 'succeeded', true],
      ['second', 'succeeded', true],
      ['third', 'succeeded', false],
    ]);
    // After the reset, only the interrupted step called its provider.
    expect(callsPerModel()).toEqual([0, 0, 1]);
  });
});
