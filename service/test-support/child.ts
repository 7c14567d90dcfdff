// Starts service-process.ts as a child process on a home directory and waits until it
// serves. Test support only.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, waitUntilReady } from '../../test/support/process.ts';
import type { ServiceStackOptions } from './stack.ts';

export const READY_FILE = 'service-ready.json';
const SCRIPT = fileURLToPath(new URL('./service-process.ts', import.meta.url));

export interface ServiceChild {
  process: ManagedProcess;
  baseUrl: string;
}

export async function startServiceChild(options: ServiceStackOptions, timeoutMs = 60_000): Promise<ServiceChild> {
  const ready = join(options.home, READY_FILE);
  rmSync(ready, { force: true });
  const child = await ManagedProcess.start({
    name: 'workflow service',
    command: process.execPath,
    args: ['--import', 'tsx', SCRIPT, JSON.stringify(options)],
    logFile: join(options.home, 'service.log'),
  });
  await waitUntilReady(child, async () => existsSync(ready), timeoutMs, 'serving');
  const { baseUrl } = JSON.parse(readFileSync(ready, 'utf8')) as { baseUrl: string };
  return { process: child, baseUrl };
}
