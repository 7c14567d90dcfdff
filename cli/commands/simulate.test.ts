import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';

const BIN = fileURLToPath(new URL('../../bin/flowtrace.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowtrace-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, 'simulate', ...args], { env: { ...process.env, ...env } });
}

/** Collects stdout until `pattern` appears. */
function waitFor(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (data: Buffer) => {
      out += data.toString();
      const match = pattern.exec(out);
      if (match) {
        child.stdout.off('data', onData);
        resolve(match);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${out}`)));
  });
}

function exit(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('flowtrace simulate', () => {
  it('serves with the config file, logs calls without keys and stops on SIGTERM', async () => {
    const config = join(dir, 'sim.json');
    writeFileSync(config, JSON.stringify({ faults: [{ model: 'gpt-4o', calls: [1], fault: 'rate_limit' }] }));
    const child = run(['--port', '0', '--config', config]);
    const exited = exit(child);
    const [, baseURL] = await waitFor(child, /OpenAI base URL: +(\S+)/);
    const client = new OpenAI({ apiKey: 'sk-secret-value', baseURL, maxRetries: 0 });
    const logged = waitFor(child, /[\s\S]*gpt-4o call #2: ok\n/);
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    const [log] = await logged;
    expect(log).toMatch(/openai gpt-4o call #1: rate_limit\n/);
    expect(log).not.toContain('sk-secret-value');
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('takes the port from FLOWTRACE_SIMULATOR_PORT, the flag winning', async () => {
    const child = run(['--port', '0', '--quiet'], { FLOWTRACE_SIMULATOR_PORT: '1' });
    const exited = exit(child);
    const [, port] = await waitFor(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    expect(Number(port)).toBeGreaterThan(1);
    child.kill('SIGTERM');
    await exited;
    const bad = await exit(run([], { FLOWTRACE_SIMULATOR_PORT: 'eighty' }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('flowtrace: FLOWTRACE_SIMULATOR_PORT: expected a port number between 0 and 65535, got "eighty"\n');
  });

  it('refuses an invalid config file with one clear line', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ faults: [{ fault: 'explode' }] }));
    const { code, stderr } = await exit(run(['--port', '0', '--config', config]));
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^flowtrace: simulator config ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid simulator config: faults\\[0\\]\\.fault: must be one of`));
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
