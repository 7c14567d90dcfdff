// `flowtrace process` instances as child processes (`node bin/flowtrace.js process …`), as
// they run in production: killed with SIGKILL to crash, stopped with SIGTERM to shut down.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../support/ports.ts';
import { ManagedProcess, removeOnExit, waitUntilReady } from '../../support/process.ts';
import { REPO_ROOT } from '../../support/real-components.ts';

export interface ProcessorOptions {
  brokers: string;
  clickhouseUrl: string;
  groupId: string;
  /** Model prices that override the bundled ones (none by default). */
  priceOverrideFile?: string;
  /** Group session timeout: how soon a killed instance's partitions move. Default 6 s (the broker's minimum). */
  sessionTimeoutMs?: number;
  extraArgs?: string[];
}

export class ProcessorInstance {
  private constructor(
    readonly name: string,
    readonly metricsUrl: string,
    readonly logFile: string,
    private proc: ManagedProcess,
    private readonly args: string[],
  ) {}

  static async start(name: string, options: ProcessorOptions): Promise<ProcessorInstance> {
    const dir = mkdtempSync(join(tmpdir(), `flowtrace-${name}-`));
    removeOnExit(dir);
    const [metricsPort] = await freePorts(1);
    const args = [
      join(REPO_ROOT, 'bin/flowtrace.js'), 'process',
      '--brokers', options.brokers,
      '--clickhouse-url', options.clickhouseUrl,
      '--group', options.groupId,
      ...(options.priceOverrideFile ? ['--price-overrides', options.priceOverrideFile] : []),
      '--metrics-port', String(metricsPort),
      '--session-timeout', String(options.sessionTimeoutMs ?? 6_000),
      '--lag-log-interval', '2',
      ...(options.extraArgs ?? []),
    ];
    const instance = new ProcessorInstance(name, `http://127.0.0.1:${metricsPort}/metrics`, join(dir, 'process.log'), undefined!, args);
    await instance.launch();
    return instance;
  }

  private async launch(): Promise<void> {
    const starts = this.log().match(/process: consuming/g)?.length ?? 0;
    this.proc = await ManagedProcess.start({ name: this.name, command: process.execPath, args: this.args, logFile: this.logFile, cwd: REPO_ROOT });
    await this.waitForLog(/process: consuming/, 60_000, starts + 1);
  }

  get running(): boolean {
    return this.proc.running;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Waits until the log (from its start, restarts included) matches `pattern` `times` times. */
  async waitForLog(pattern: RegExp, timeoutMs: number, times = 1): Promise<void> {
    const global = new RegExp(pattern.source, 'g');
    await waitUntilReady(this.proc, async () => (this.log().match(global)?.length ?? 0) >= times, timeoutMs, `logging ${pattern}`);
  }

  /** Partitions this instance last reported as assigned (undefined before its first assignment). */
  assignedPartitions(): number[] | undefined {
    const lines = this.log().match(/process: partitions assigned: .*/g);
    const last = lines?.at(-1)?.slice('process: partitions assigned: '.length);
    if (last === undefined) return undefined;
    return last === 'none' ? [] : last.split(', ').map(Number);
  }

  /** A counter or gauge from GET /metrics (sum over its label sets). */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(this.metricsUrl)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /** SIGKILL, as in a crash. */
  async kill(): Promise<void> {
    await this.proc.kill();
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    return (await this.proc.stop()).code;
  }

  /** Starts the same command again (same group, same metrics port). */
  async restart(): Promise<void> {
    if (this.proc.running) await this.proc.kill();
    await this.launch();
  }

  failure(message: string): Error {
    return this.proc.failure(message);
  }
}

/**
 * Waits until the running instances' latest assignments split `partitions` partitions between
 * them, each with at least one while there are enough partitions.
 */
export async function waitForBalancedGroup(instances: ProcessorInstance[], partitions: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const running = instances.filter((i) => i.running);
    const assignments = running.map((i) => i.assignedPartitions());
    const all = assignments.flatMap((a) => a ?? []).sort((a, b) => a - b);
    const everyMemberBusy = assignments.every((a) => a !== undefined && (a.length > 0 || running.length > partitions));
    if (everyMemberBusy && all.length === partitions && all.every((p, i) => p === i)) return;
    last = running.map((i, n) => `${i.name}: ${assignments[n]?.join(',') ?? '?'}`).join('; ');
    if (Date.now() > deadline) throw new Error(`group not balanced within ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
