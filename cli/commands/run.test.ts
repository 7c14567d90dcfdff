import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderSimulator, type SimulatorAddress } from '../../executor/simulator/index.ts';
import { startOtlpSink, type OtlpSink } from '../../test/support/otlp-sink.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESEARCH = 'executor/demos/research-summarize-decide-deep.json';

let simulator: ProviderSimulator;
let address: SimulatorAddress;
let collector: OtlpSink;
let dir: string;

beforeAll(async () => {
  simulator = new ProviderSimulator();
  address = await simulator.start();
  // Stands in for `flowtrace up`.
  collector = await startOtlpSink();
  dir = await mkdtemp(join(tmpdir(), 'flowtrace-cli-run-'));
});
afterAll(async () => {
  await simulator.stop();
  await collector.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      FLOWTRACE_HOME: join(dir, 'home'),
      OPENAI_BASE_URL: address.openaiBaseUrl,
      ANTHROPIC_BASE_URL: address.anthropicBaseUrl,
      OPENAI_API_KEY: 'sk-test',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      OTEL_TRACES_EXPORTER: 'none',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('flowtrace run', () => {
  it('lists every problem of an invalid file and exits 2', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ version: '1', entry: 'x', nodes: [{ id: 'a', type: 'llm', config: { provider: 'openai' }, inputs: { t: 'x' } }], edges: [{ from: 'a', to: 'b' }] }),
    );
    const result = await cli([file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        `flowtrace: ${file}: invalid workflow (3 errors)`,
        '  nodes[0].config.model: required',
        "  edges[0].to: unknown node 'b'",
        "  entry: unknown node 'x'",
        '',
      ].join('\n'),
    );
  });

  it('runs a demo, prints progress and the summary, and sends its spans before exiting', async () => {
    collector.received.length = 0;
    const result = await cli([RESEARCH, '--run-id', 'cli-demo', '--endpoint', collector.url], { OTEL_TRACES_EXPORTER: '' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('▶ summarize');
    expect(result.stderr).toContain('– deep skipped');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^run cli-demo \(Research→Summarize→Decide→Deep\): succeeded in \d+ ms$/);
    expect(lines.find((line) => line.trimStart().startsWith('decide'))).toContain('branch=shallow');
    expect(result.stdout).toMatch(/cost: \$0\.\d+ {3}llm calls: 1 {3}retries: 0 {3}fallbacks: 0 {3}cache hits: 0/);
    const exported = Buffer.concat(collector.received.filter((r) => r.path === '/v1/traces').map((r) => r.body)).toString('latin1');
    expect(exported).toContain('cli-demo');
    expect(exported).toContain('invoke_workflow Research');
  });

  it('takes inputs from flags and files, and rejects undeclared ones with exit 2', async () => {
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'Notes from a file. [[sim:tokens=700]]');
    const deep = await cli([RESEARCH, '--input', `notes=@${notes}`, '--input', 'topic=files', '--json', '--no-cache']);
    expect(deep.code).toBe(0);
    const summary = JSON.parse(deep.stdout) as { steps: Array<{ nodeId: string; status: string; branch?: string }> };
    expect(summary.steps.find((s) => s.nodeId === 'decide')?.branch).toBe('deep');

    const unknown = await cli([RESEARCH, '--input', 'colour=blue']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('flowtrace: invalid run inputs\n  inputs.colour: not declared by the workflow (declared: topic, notes)\n');
    const missing = await cli([RESEARCH, '--input', `notes=@${join(dir, 'absent.txt')}`]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--input notes: cannot read') });
  });

  it('exits 1 on a failed run and says how to resume it', async () => {
    simulator.configure({ faults: [{ fault: 'server_error' }] });
    try {
      const result = await cli([RESEARCH, '--run-id', 'cli-failed', '--no-cache']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('run cli-failed (Research→Summarize→Decide→Deep): failed');
      expect(result.stdout).toContain(`resume with: flowtrace run ${RESEARCH} --resume cli-failed`);
    } finally {
      simulator.configure({});
    }
  });
});
