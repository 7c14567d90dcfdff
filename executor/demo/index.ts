// `flowtrace up --demo`: starts the provider simulator, runs both demo workflows against it
// with telemetry going to the pipeline's own OTLP endpoint (a retry, a fallback, then a
// repeated run answered from the cache), prints a summary per run and keeps the simulator
// serving until stopped.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FileResponseCache } from '../cache/index.ts';
import { createLlmStepRunner } from '../llm/index.ts';
import { createProviders } from '../providers/index.ts';
import { runWorkflow } from '../runtime/run.ts';
import type { RunSummary } from '../runtime/summary.ts';
import { ProviderSimulator, type SimulatorAddress } from '../simulator/index.ts';
import { createTelemetry } from '../telemetry/index.ts';
import { eventLine, summaryLines } from './report.ts';
import { DEMO_SIMULATOR_CONFIG, DEMO_TOOLS, demoRuns } from './scenario.ts';

export const DEFAULT_SIMULATOR_PORT = 4010;

export interface DemoOptions {
  /** The running pipeline: spans go to `otlpHttp`; run links point at `api`. */
  endpoints: { otlpHttp: string; api: string };
  /** The FlowTrace home; the response cache is `<home>/cache`, shared with `flowtrace run`. */
  home: string;
  /** Simulator port; a taken port falls back to a free one. Default: simulatorPortFromEnv(). */
  simulatorPort?: number;
  /** Where the demo's lines go (default stdout). */
  write?: (text: string) => void;
  /** Labels this start's data so its first runs miss the cache (default: random). */
  batch?: string;
}

export interface DemoHandle {
  /** Where the simulator listens, for `flowtrace run` against it while FlowTrace is up. */
  simulator: SimulatorAddress;
  /** The demo's runs, settled when the last one ended. */
  done: Promise<RunSummary[]>;
  /** Cancels runs still going, sends the remaining spans, stops the simulator. */
  stop(): Promise<void>;
}

/** FLOWTRACE_SIMULATOR_PORT, else 4010; a bad value is an error naming the variable. */
export function simulatorPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLOWTRACE_SIMULATOR_PORT;
  if (raw === undefined || raw === '') return DEFAULT_SIMULATOR_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`FLOWTRACE_SIMULATOR_PORT: expected a port number 0-65535, got "${raw}"`);
  return port;
}

async function startSimulator(port: number, write: (text: string) => void): Promise<{ simulator: ProviderSimulator; address: SimulatorAddress }> {
  const simulator = new ProviderSimulator(DEMO_SIMULATOR_CONFIG, { port });
  try {
    return { simulator, address: await simulator.start() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    write(`  port ${port} is taken; the simulator uses a free port instead\n`);
    const fallback = new ProviderSimulator(DEMO_SIMULATOR_CONFIG, { port: 0 });
    return { simulator: fallback, address: await fallback.start() };
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoHandle> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const port = options.simulatorPort ?? simulatorPortFromEnv();
  const runs = await demoRuns(options.batch ?? `${new Date().toISOString().slice(0, 19)}-${randomBytes(3).toString('hex')}`);
  const { simulator, address } = await startSimulator(port, write);
  const telemetry = createTelemetry({ endpoint: options.endpoints.otlpHttp, serviceName: 'flowtrace-demo' });
  const runner = createLlmStepRunner({
    providers: createProviders(
      { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-demo' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-demo' } },
      {},
    ),
    cache: new FileResponseCache({ dir: join(options.home, 'cache') }),
    telemetry,
  });
  const cancel = new AbortController();
  write(
    `\nDemo: provider simulator on ${address.anthropicBaseUrl} (OPENAI_BASE_URL=${address.openaiBaseUrl} ANTHROPIC_BASE_URL=${address.anthropicBaseUrl})\n` +
      `  watch the runs live at ${options.endpoints.api}/\n`,
  );

  const play = async (): Promise<RunSummary[]> => {
    const summaries: RunSummary[] = [];
    for (const [i, run] of runs.entries()) {
      if (cancel.signal.aborted) break;
      write(`\n  ${i + 1}/${runs.length} ${run.workflow.name} — ${run.title}\n`);
      const summary = await runWorkflow(run.workflow, {
        inputs: run.inputs,
        runner,
        telemetry,
        tools: DEMO_TOOLS,
        signal: cancel.signal,
        onEvent: (event) => {
          const line = eventLine(event);
          if (line) write(`${line}\n`);
        },
      });
      summaries.push(summary);
      write(`${summaryLines(summary, options.endpoints.api).join('\n')}\n`);
    }
    // The runs are in the pipeline before the demo says so.
    await telemetry.forceFlush();
    write('\nDemo done; FlowTrace keeps serving (Ctrl-C to stop).\n');
    return summaries;
  };
  const done = play();
  // Callers may only look at `done` when stopping; a failure is reported here either way.
  done.catch((err: Error) => write(`\nDemo failed: ${err.message}\n`));

  return {
    simulator: address,
    done,
    async stop() {
      cancel.abort();
      await done.catch(() => {});
      await telemetry.shutdown();
      await simulator.stop();
    },
  };
}
