// bench:runs — 1,000 runs of a 5-node workflow (tool → llm → llm → router → llm) against
// the provider simulator with zero latency, 20 in flight, started (a) through the workflow
// service's HTTP API and (b) directly with the executor's runWorkflow. Each path runs in a
// process of its own with the same embedded pipeline (OTLP receiver → processors → chdb)
// receiving its spans and the same runner, tools, limits and file checkpoints; the
// simulator has a process of its own, the HTTP client is this one. The paths alternate in blocks of 100
// runs, so changes in the machine's load hit both alike. Reports runs/s, start→running
// p50/p99 and end-to-end p50/p99, and records them in BENCHMARKS.md (section bench:runs).
//   npm run bench:runs [-- --runs 1000 --concurrency 20 --warmup 50]
import { randomUUID } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runWorkflow, type WorkflowSpec } from '../executor/index.ts';
import type { ProvidersConfig } from '../executor/providers/index.ts';
import { ProviderSimulator } from '../executor/simulator/index.ts';
import { startServiceChild } from '../service/test-support/child.ts';
import { createWorkflowRuntime } from '../service/runner/runtime.ts';
import { startServiceStack } from '../service/test-support/stack.ts';
import { percentile, recordSection } from './lib/report.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '50' },
    // Internal: be the library process or the simulator process (driven by the bench over IPC).
    role: { type: 'string' },
    providers: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const CONCURRENCY = Number(args.concurrency);
const WARMUP = Number(args.warmup);
/** Runs per measured block; the paths alternate block by block. */
const BLOCK_RUNS = 100;

const WORKFLOW = {
  version: '1',
  name: 'bench five nodes',
  entry: 'load',
  inputs: { topic: { default: 'tracing' } },
  nodes: [
    { id: 'load', type: 'tool', config: { tool: 'template', template: 'Notes on {{input.topic}}.' } },
    { id: 'outline', type: 'llm', config: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'Outline: {{node.load.output}}', maxTokens: 64 }, cache: false },
    { id: 'draft', type: 'llm', config: { provider: 'openai', model: 'gpt-4o-mini', prompt: 'Draft: {{node.outline.output}}', maxTokens: 64 }, cache: false },
    { id: 'decide', type: 'router', config: { rule: "len(text) > 0 ? 'polish' : 'stop'" }, inputs: { text: '{{node.draft.output}}' } },
    { id: 'polish', type: 'llm', config: { provider: 'anthropic', model: 'claude-3-5-haiku-latest', prompt: 'Polish: {{node.draft.output}}', maxTokens: 64 }, cache: false },
  ],
  edges: [
    { from: 'load', to: 'outline' },
    { from: 'outline', to: 'draft' },
    { from: 'draft', to: 'decide' },
    { from: 'decide', to: 'polish', when: "branch == 'polish'" },
  ],
};

interface Sample {
  /** ms from the start request to the run's status being `running` (the service: handed to the executor; the library: the executor's run.status event). */
  toRunning: number;
  /** ms from the start request to the executor running the run (its run.status event; over HTTP the stored run span's start). */
  toExecutor: number;
  /** ms from the start request to the run's end as its starter learns it. */
  endToEnd: number;
  /** Over HTTP: ms from the POST leaving the client to the service accepting the run (the record's queued_at). */
  toAccepted?: number;
}

interface Phase {
  name: string;
  wallMs: number;
  samples: Sample[];
  failed: number;
}

/** `count` jobs, CONCURRENCY at a time; a job returns its sample, or undefined when the run failed. */
async function pool(name: string, count: number, job: (i: number) => Promise<Sample | undefined>): Promise<Phase> {
  const samples: Sample[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const sample = await job(next++);
        if (sample) samples.push(sample);
        else failed += 1;
      }
    }),
  );
  return { name, wallMs: performance.now() - started, samples, failed };
}

/** What the driver asks the library process for, and what it answers. */
type LibraryRequest = { runs: number };
type LibraryReply = { ready: true } | { phase: Phase };

/**
 * The library side, in a process of its own: the same pipeline receives the spans and
 * runWorkflow runs the runs; it runs blocks of runs when the driver asks (IPC).
 */
async function libraryProcess(providers: ProvidersConfig): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'flowtrace-bench-library-'));
  const stack = await startServiceStack({ home, providers, service: { seedDemos: false } });
  const checkpointDir = join(home, 'checkpoints');
  // The library as an agent process uses it: in its own thread, spans to the pipeline.
  const runtime = createWorkflowRuntime({ otlpEndpoint: stack.otlpEndpoint, providers });
  let counter = 0;
  const job = async (): Promise<Sample | undefined> => {
    const t0 = performance.now();
    let running = NaN;
    const summary = await runWorkflow(WORKFLOW as WorkflowSpec, {
      inputs: { topic: `library ${counter++} ${randomUUID()}` },
      runner: runtime.runner,
      tools: runtime.tools,
      telemetry: runtime.telemetry,
      checkpointDir,
      onEvent: (event) => {
        if (event.kind === 'run.status' && event.payload.status === 'running') running = performance.now();
      },
    });
    return summary.status === 'succeeded' ? { toRunning: running - t0, toExecutor: running - t0, endToEnd: performance.now() - t0 } : undefined;
  };
  const reply = (message: LibraryReply) => process.send!(message);
  process.on('message', (request: LibraryRequest) => {
    pool('executor library (runWorkflow)', request.runs, job).then((phase) => reply({ phase }));
  });
  process.once('disconnect', () => {
    runtime.telemetry.shutdown().then(() => stack.stop()).finally(() => {
      rmSync(home, { recursive: true, force: true });
      process.exit(0);
    });
  });
  reply({ ready: true });
}

/** This script in another role, as a child process the driver talks to over IPC. */
function forkRole(role: string, extra: string[] = []): { child: ChildProcess; next<T>(): Promise<T>; stop(): Promise<void> } {
  const child = fork(fileURLToPath(import.meta.url), ['--role', role, '--concurrency', String(CONCURRENCY), ...extra], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    child,
    next: <T>() =>
      new Promise<T>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the ${role} process exited (${code})`));
        child.once('exit', onExit);
        child.once('message', (message) => {
          child.off('exit', onExit);
          resolve(message as T);
        });
      }),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}

/** The provider simulator in a process of its own, so neither path's process nor the HTTP client serves its calls. */
async function simulatorProcess(): Promise<void> {
  const simulator = new ProviderSimulator();
  const address = await simulator.start();
  const providers: ProvidersConfig = {
    openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-bench' },
    anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-bench' },
  };
  process.once('disconnect', () => void simulator.stop().finally(() => process.exit(0)));
  process.send!(providers);
}

/** The driver's handle on the library process. */
async function startLibraryProcess(providers: ProvidersConfig): Promise<{ run(runs: number): Promise<Phase>; stop(): Promise<void> }> {
  const library = forkRole('library', ['--providers', JSON.stringify(providers)]);
  await library.next<LibraryReply>();
  return {
    async run(runs) {
      const answer = library.next<{ phase: Phase }>();
      library.child.send({ runs } satisfies LibraryRequest);
      return (await answer).phase;
    },
    stop: library.stop,
  };
}

/** The HTTP side: the service in a process of its own, this process as its client. */
async function startHttpClient(providers: ProvidersConfig, home: string): Promise<{ run(runs: number): Promise<Phase>; stop(): Promise<void> }> {
  const service = await startServiceChild({ home, providers, service: { concurrency: CONCURRENCY, maxQueuedRuns: CONCURRENCY, seedDemos: false } });
  const { baseUrl } = service;
  const created = await fetch(`${baseUrl}/api/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: WORKFLOW.name, graph_json: WORKFLOW }),
  });
  const { id: workflowId } = (await created.json()) as { id: string };
  let counter = 0;
  const job = async (): Promise<Sample | undefined> => {
    const t0 = Date.now();
    const t0Precise = performance.now();
    const res = await fetch(`${baseUrl}/api/workflows/${workflowId}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_vars: { topic: `http ${counter++} ${randomUUID()}` } }),
    });
    if (res.status !== 202) throw new Error(`start answered ${res.status}: ${await res.text()}`);
    const { runId } = (await res.json()) as { runId: string };
    // Long poll of the scheduler's record (GET /api/runs/{id} would add the stored-span summary).
    const run = (await (await fetch(`${baseUrl}/api/workflows/${workflowId}/runs/${runId}?wait=60000`)).json()) as {
      status: string;
      queued_at: string;
      started_at: string | null;
    };
    const end = performance.now();
    if (run.status !== 'succeeded' || run.started_at === null) return undefined;
    const sample = { toAccepted: Date.parse(run.queued_at) - t0, toRunning: Date.parse(run.started_at) - t0, toExecutor: NaN, endToEnd: end - t0Precise };
    sent.push({ runId, t0, sample });
    return sample;
  };
  /** Run span start times, read once the spans are stored (outside the timed block). */
  const sent: Array<{ runId: string; t0: number; sample: Sample }> = [];
  const executorStarts = async () => {
    for (const { runId, t0, sample } of sent.splice(0)) {
      for (let tries = 0; ; tries++) {
        const detail = (await (await fetch(`${baseUrl}/api/runs/${runId}`)).json()) as { run_name: string; start_time: string };
        if (detail.run_name !== '') {
          sample.toExecutor = Date.parse(detail.start_time) - t0;
          break;
        }
        if (tries > 100) throw new Error(`run ${runId}: spans not stored`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  return {
    async run(runs) {
      const phase = await pool('workflow service (HTTP API)', runs, job);
      await executorStarts();
      return phase;
    },
    async stop() {
      await service.process.stop();
    },
  };
}

/** Phases of the same path measured in blocks, as one. */
function merged(blocks: Phase[]): Phase {
  return {
    name: blocks[0]!.name,
    wallMs: blocks.reduce((total, b) => total + b.wallMs, 0),
    samples: blocks.flatMap((b) => b.samples),
    failed: blocks.reduce((total, b) => total + b.failed, 0),
  };
}

function row(phase: Phase): string {
  const figures = (pick: (s: Sample) => number) => {
    const values = phase.samples.map(pick);
    return `${percentile(values, 50).toFixed(1)} / ${percentile(values, 99).toFixed(1)}`;
  };
  const rate = phase.samples.length / (phase.wallMs / 1000);
  return `| ${phase.name} | ${phase.samples.length} | ${phase.failed} | ${rate.toFixed(1)} | ${figures((s) => s.toRunning)} | ${figures((s) => s.toExecutor)} | ${figures((s) => s.endToEnd)} |`;
}

async function main(): Promise<void> {
  // Both path processes inherit it: file checkpoints and the embedded ClickHouse share libuv's thread pool.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  const simulator = forkRole('simulator');
  const providers = await simulator.next<ProvidersConfig>();
  const load = loadavg()[0]!.toFixed(1);
  const home = mkdtempSync(join(tmpdir(), 'flowtrace-bench-service-'));
  const library = await startLibraryProcess(providers);
  const http = await startHttpClient(providers, home);
  try {
    process.stderr.write(`warm-up: ${WARMUP} runs each\n`);
    await library.run(WARMUP);
    await http.run(WARMUP);
    // Alternating blocks, so a change in the machine's load hits both paths alike.
    const blocks = Math.max(1, Math.round(RUNS / BLOCK_RUNS));
    const sides: Array<{ run(runs: number): Promise<Phase> }> = [library, http];
    const measured: Phase[][] = [[], []];
    for (let block = 0; block < blocks; block++) {
      const runs = Math.round(RUNS / blocks);
      for (const side of block % 2 === 0 ? [0, 1] : [1, 0]) measured[side]!.push(await sides[side]!.run(runs));
      const p99 = (phase: Phase) => percentile(phase.samples.map((sample) => sample.toRunning), 99).toFixed(0);
      process.stderr.write(`block ${block + 1}/${blocks}: start→running p99 library ${p99(measured[0]!.at(-1)!)} ms, HTTP ${p99(measured[1]!.at(-1)!)} ms\n`);
    }
    const [lib, api] = measured.map(merged) as [Phase, Phase];
    const ratio = api.samples.length / api.wallMs / (lib.samples.length / lib.wallMs);
    const p99 = (pick: (s: Sample) => number) => percentile(api.samples.map(pick), 99);
    const p99ToRunning = p99((s) => s.toRunning);
    const p99ToAccepted = p99((s) => s.toAccepted!);
    const p99Scheduling = p99((s) => s.toRunning - s.toAccepted!);
    const lines = [
      `\`npm run bench:runs\`: ${lib.samples.length + lib.failed} runs per path of a 5-node workflow (tool → llm → llm → router → llm; 3 provider calls per run) against the provider simulator with zero latency, ${CONCURRENCY} in flight, in ${blocks} alternating blocks after ${WARMUP} warm-up runs; load average ${load} at the start (other work shares the machine). ` +
        `Each path in a process of its own with the embedded pipeline storing its spans (OTLP/HTTP receiver → processors → chdb), file checkpoints, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE}; the simulator in a third process; the HTTP client in the bench process ` +
        '(POST /api/workflows/{id}/runs, then a long poll of GET /api/workflows/{id}/runs/{runId}?wait=60000).',
      '',
      '| path | runs ok | failed | runs/s | start→running p50 / p99 (ms) | start→executor running p50 / p99 (ms) | end-to-end p50 / p99 (ms) |',
      '|---|---|---|---|---|---|---|',
      row(lib),
      row(api),
      '',
      'Start→running: from the start request (the POST leaving the client; the runWorkflow call) to the run\'s status becoming `running` ' +
        '(the service: the record\'s started_at, when the scheduler hands the run to the executor; the library: the executor\'s run.status event). ' +
        'Start→executor running: to the executor\'s run.status event on both paths (over HTTP: the stored run span\'s start). ' +
        'End-to-end: to the starter learning the run ended (over HTTP: the long poll answering).',
      '',
      `Over HTTP, start→accepted (the POST reaching the service's handler, which records queued_at) p99 ${p99ToAccepted.toFixed(1)} ms; ` +
        `accepted→running (the service's own work: validation, queueing, hand-over) p99 ${p99Scheduling.toFixed(1)} ms.`,
      '',
      `HTTP / library throughput: **${ratio.toFixed(2)}×** (target ≥ 0.8×: ${ratio >= 0.8 ? 'met' : 'MISSED'}). ` +
        `Start→running p99 over HTTP: **${p99ToRunning.toFixed(1)} ms** (target ≤ 50 ms: ${p99ToRunning <= 50 ? 'met' : 'MISSED'}).`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    recordSection('bench:runs', lines.join('\n'));
  } finally {
    await library.stop();
    await http.stop();
    rmSync(home, { recursive: true, force: true });
    await simulator.stop();
  }
}

if (args.role === 'library') await libraryProcess(JSON.parse(args.providers ?? '{}') as ProvidersConfig);
else if (args.role === 'simulator') await simulatorProcess();
else await main();
