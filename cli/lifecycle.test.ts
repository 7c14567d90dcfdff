import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'flowtrace-lifecycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lifecycle = pathToFileURL(join(import.meta.dirname, 'lifecycle.ts')).href;

/** A process that waits in untilSignal with a stop taking `stopMs` and failing when asked, then exits with process.exitCode. */
function start(stopMs: number, fail: boolean): { signal(name: NodeJS.Signals): void; ready: Promise<void>; exited: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  // .mts: outside a `"type": "module"` package a .ts file would be CommonJS, without top-level await.
  const script = join(dir, `main-${stopMs}-${fail}.mts`);
  writeFileSync(
    script,
    `import { untilSignal } from ${JSON.stringify(lifecycle)};
// Stands in for the command's servers, which keep the process alive until stopped.
const serving = setInterval(() => {}, 60_000);
const stopped = untilSignal(
  async () => {
    await new Promise((resolve) => setTimeout(resolve, ${stopMs}));
    if (${fail}) throw new Error('the store would not close');
    process.stdout.write('stopped\\n');
  },
  { stopping: (signal) => 'test: ' + signal + ': stopping', forced: (signal) => 'test: ' + signal + ' again' },
);
// Only now: a signal sent on seeing this line must find the handlers in place.
process.stdout.write('ready\\n');
await stopped;
clearInterval(serving);
process.stdout.write('returned\\n');
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`exited with ${code} before it was ready: ${stderr}`)));
  });
  return { signal: (name) => child.kill(name), ready, exited };
}

describe('untilSignal', () => {
  it('announces the signal, runs stop and resolves; exit code 0', async () => {
    const child = start(50, false);
    await child.ready;
    child.signal('SIGTERM');
    const { code, stdout, stderr } = await child.exited;
    expect(stdout).toBe('ready\ntest: SIGTERM: stopping\nstopped\nreturned\n');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('reports a failed stop on stderr and leaves exit code 1', async () => {
    const child = start(10, true);
    await child.ready;
    child.signal('SIGINT');
    const { code, stdout, stderr } = await child.exited;
    expect(stdout).toBe('ready\ntest: SIGINT: stopping\nreturned\n');
    expect(stderr).toBe('flowtrace: shutdown failed: the store would not close\n');
    expect(code).toBe(1);
  });

  it('exits at once with 130 on a second signal while stopping', async () => {
    const child = start(60_000, false);
    await child.ready;
    child.signal('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.signal('SIGTERM');
    const { code, stdout, stderr } = await child.exited;
    expect(stdout).toBe('ready\ntest: SIGINT: stopping\n');
    expect(stderr).toBe('test: SIGTERM again\n');
    expect(code).toBe(130);
  });
});
