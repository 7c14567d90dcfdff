// bench:runs — 1,000 runs of a 5-node workflow (tool → llm → llm → router → llm) against
// the provider simulator with zero latency, 20 at a time, started (a) through the workflow
// service's HTTP API and (b) directly with the executor's runWorkflow, in the same process,
// with the same runner, telemetry (spans to the embedded pipeline), tools, limits and
// checkpoint directory. Reports runs/s, start-to-running p50/p99 and end-to-end p99.
//   npm run bench:runs [-- --runs 1000 --concurrency 20 --warmup 50]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runWorkflow, type WorkflowSpec } from '../executor/index.ts';
import { ProviderSimulator } from '../executor/simulator/index.ts';
import { startServiceStack, type ServiceStack } from '../service/test-support/stack.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '50' },
  },
});
const RUNS = Number(args.runs);
const CONCURRENCY = Number(args.concurrency);
const WARMUP = Number(args.warmup);

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
  /** ms from the start request to the run running (executor's run.status running). */
  toRunning: number;
  /** ms from the start request to the run's end as its starter observes it. */
  endToEnd: number;
}

interface Phase {
  name: string;
  wallMs: number;
  samples: Sample[];
  failed: number;
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `count` jobs with `concurrency` workers; each job returns its sample or undefined when it failed. */
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

function libraryJob(stack: ServiceStack, spec: WorkflowSpec, checkpointDir: string | undefined) {
  const { runtime } = stack;
  return async (i: number): Promise<Sample | undefined> => {
    const t0 = performance.now();
    let running = NaN;
    const summary = await runWorkflow(spec, {
      inputs: { topic: `library ${i} ${randomUUID()}` },
      runner: runtime.runner,
      tools: runtime.tools,
      telemetry: runtime.telemetry,
      checkpointDir,
      onEvent: (event) => {
        if (event.kind === 'run.status' && event.payload.status === 'running') running = performance.now();
      },
    });
    const end = performance.now();
    return summary.status === 'succeeded' ? { toRunning: running - t0, endToEnd: end - t0 } : undefined;
  };
}

function httpJob(baseUrl: string, workflowId: string) {
  return async (i: number): Promise<Sample | undefined> => {
    const t0 = Date.now();
    const t0Precise = performance.now();
    const res = await fetch(`${baseUrl}/api/workflows/${workflowId}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_vars: { topic: `http ${i} ${randomUUID()}` } }),
    });
    if (res.status !== 202) throw new Error(`start answered ${res.status}: ${await res.text()}`);
    const { runId } = (await res.json()) as { runId: string };
    // Long poll of the scheduler's record (GET /api/runs/{id} would add the stored-span summary).
    const run = (await (await fetch(`${baseUrl}/api/workflows/${workflowId}/runs/${runId}?wait=60000`)).json()) as {
      status: string;
      started_at: string | null;
    };
    const end = performance.now();
    if (run.status !== 'succeeded' || run.started_at === null) return undefined;
    return { toRunning: Date.parse(run.started_at) - t0, endToEnd: end - t0Precise };
  };
}

function row(phase: Phase): string {
  const toRunning = phase.samples.map((s) => s.toRunning);
  const e2e = phase.samples.map((s) => s.endToEnd);
  const rate = phase.samples.length / (phase.wallMs / 1000);
  return `| ${phase.name} | ${phase.samples.length} | ${phase.failed} | ${rate.toFixed(1)} | ${percentile(toRunning, 50).toFixed(1)} | ${percentile(toRunning, 99).toFixed(1)} | ${percentile(e2e, 50).toFixed(1)} | ${percentile(e2e, 99).toFixed(1)} |`;
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'flowtrace-bench-runs-'));
  const simulator = new ProviderSimulator();
  const address = await simulator.start();
  const stack = await startServiceStack({
    home,
    providers: { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-bench' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-bench' } },
    service: { concurrency: CONCURRENCY, maxQueuedRuns: CONCURRENCY, seedDemos: false },
  });
  try {
    const created = await fetch(`${stack.baseUrl}/api/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: WORKFLOW.name, graph_json: WORKFLOW }),
    });
    const { id: workflowId } = (await created.json()) as { id: string };
    const spec = (await (await fetch(`${stack.baseUrl}/api/workflows/${workflowId}`)).json()).graph_json as WorkflowSpec;
    const checkpointDir = join(home, 'checkpoints');
    const library = libraryJob(stack, spec, checkpointDir);
    const inMemory = libraryJob(stack, spec, undefined);
    const http = httpJob(stack.baseUrl, workflowId);

    process.stderr.write(`warm-up: ${WARMUP} runs each\n`);
    await pool('warm-up library', WARMUP, library);
    await pool('warm-up http', WARMUP, http);
    const phases: Phase[] = [];
    for (const [name, job] of [
      ['executor library, file checkpoints (baseline)', library],
      ['workflow service, HTTP API', http],
      ['executor library, in-memory checkpoints (not durable; reference)', inMemory],
    ] as const) {
      await stack.runtime.telemetry.forceFlush();
      process.stderr.write(`${name}: ${RUNS} runs, ${CONCURRENCY} at a time\n`);
      phases.push(await pool(name, RUNS, job));
    }
    const [lib, api, memory] = phases as [Phase, Phase, Phase];
    const ratio = api.samples.length / api.wallMs / (lib.samples.length / lib.wallMs);
    const p99ToRunning = percentile(
      api.samples.map((s) => s.toRunning),
      99,
    );
    const lines = [
      `${RUNS} runs of a 5-node workflow (tool → llm → llm → router → llm; 3 provider calls per run), provider simulator with zero latency, ${CONCURRENCY} runs in flight; warm-up ${WARMUP} runs each. ` +
        'Both paths in one process with the same llm runner, telemetry (spans to the embedded OTLP receiver → chdb), tools and limits; ' +
        'the baseline checkpoints to files like the service does (a run must survive a restart). ' +
        'HTTP client: POST /api/workflows/{id}/runs, then a long poll of GET /api/workflows/{id}/runs/{runId}?wait=60000. ' +
        'Start→running: from the start request to the executor reporting the run running (over HTTP: the record\'s started_at).',
      '',
      '| path | runs ok | failed | runs/s | start→running p50 (ms) | start→running p99 (ms) | end-to-end p50 (ms) | end-to-end p99 (ms) |',
      '|---|---|---|---|---|---|---|---|',
      row(lib),
      row(api),
      row(memory),
      '',
      `HTTP / library throughput: **${ratio.toFixed(2)}×** (target ≥ 0.8×). Start→running p99 over HTTP: **${p99ToRunning.toFixed(1)} ms** (target ≤ 50 ms).`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stack.stop();
    await simulator.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
