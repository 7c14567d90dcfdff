// A child process for tests that never outlives the test process: it is killed on a normal
// exit, and a detached watchdog kills it when the test process itself is killed (vitest
// terminating a worker, Ctrl-C), so no broker or collector is left running on the machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';

const live = new Set<ChildProcess>();
const dirsToRemove = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirsToRemove) rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes `dir` when the test process exits (after its processes are killed). */
export function removeOnExit(dir: string): void {
  installExitHook();
  dirsToRemove.add(dir);
}

export function forgetOnExit(dir: string): void {
  dirsToRemove.delete(dir);
}

/** Polls every second: ends when the child ends, kills the child when the parent is gone. */
function startWatchdog(parentPid: number, childPid: number): void {
  const script = 'while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$1" 2>/dev/null; exit 0';
  spawn('sh', ['-c', script, String(parentPid), String(childPid)], { detached: true, stdio: 'ignore' }).unref();
}

export interface ManagedProcessOptions {
  /** Shown in error messages, e.g. "kafka broker". */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here, so a failure can be explained after the fact. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;

  private constructor(
    private readonly options: ManagedProcessOptions,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exit = { code, signal };
        resolveExit(this.exit);
      });
    });
  }

  /** Starts the process; rejects with a precise message if the executable cannot be run. */
  static async start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    installExitHook();
    const log = openSync(options.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log); // the child holds its own copy of the descriptor
    }
    const spawned = once(child, 'spawn').then(() => undefined);
    const failed = once(child, 'error').then(([err]) => err as NodeJS.ErrnoException);
    const outcome = await Promise.race([spawned, failed]);
    if (outcome) {
      const hint = outcome.code === 'ENOENT' ? ` (is ${options.command} installed and on PATH?)` : '';
      throw new Error(`${options.name}: cannot start ${options.command}: ${outcome.message}${hint}`);
    }
    live.add(child);
    startWatchdog(process.pid, child.pid!);
    return new ManagedProcess(options, child);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines of the process's output, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no output)';
    }
  }

  /** An Error naming the process, how it ended and its last output. */
  failure(message: string): Error {
    const how = this.exit ? ` (exited with ${this.exit.signal ?? `code ${this.exit.code}`})` : '';
    return new Error(`${this.options.name}: ${message}${how}; log ${this.options.logFile}:\n${this.logTail()}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 30_000): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: an abrupt crash. */
  async kill(): Promise<ProcessExit> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Polls `probe` until it resolves true, the process exits, or `timeoutMs` passes. */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw proc.failure(`exited before ${what}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw proc.failure(`not ${what} within ${timeoutMs} ms`);
}
