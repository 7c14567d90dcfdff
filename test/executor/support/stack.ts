// The executor against the whole embedded pipeline: real SDKs → provider simulator, spans
// exported by the real OTLP exporter to the pipeline's OTLP/HTTP endpoint, stored by chdb,
// read back through the typed views.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config.ts';
import { FileResponseCache } from '../../../executor/cache/index.ts';
import { createLlmStepRunner, createProviders, createTelemetry, type LlmStepRunner } from '../../../executor/index.ts';
import type { ProvidersConfig } from '../../../executor/providers/index.ts';
import { ProviderSimulator, type SimulatorAddress, type SimulatorConfig } from '../../../executor/simulator/index.ts';
import type { Telemetry } from '../../../executor/telemetry/index.ts';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../../pipeline/embedded.ts';

export interface ExecutorStack {
  pipeline: EmbeddedPipeline;
  simulator: ProviderSimulator;
  address: SimulatorAddress;
  telemetry: Telemetry;
  home: string;
  /** A runner on the simulator; `cache: true` uses a response cache under the stack's home. */
  runner(options?: { cache?: boolean }): LlmStepRunner;
  /** Replaces the simulator's configuration and restarts its counters, stats and prompt cache. */
  resetSimulator(config?: SimulatorConfig): void;
  /** Sends every finished span and waits until the pipeline committed them. */
  flush(): Promise<void>;
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function startExecutorStack(options: { providers?: ProvidersConfig } = {}): Promise<ExecutorStack> {
  const home = await mkdtemp(join(tmpdir(), 'flowtrace-executor-e2e-'));
  const pipeline = await startEmbeddedPipeline(
    loadConfig({ env: {}, overrides: { home, otlpHttp: { port: 0 }, api: { port: 0 }, clickhouseHttp: { port: 0 } } }),
  );
  const simulator = new ProviderSimulator();
  const address = await simulator.start();
  // The real OTLP/HTTP protobuf exporter behind a BatchSpanProcessor, as `flowtrace run` uses it.
  const telemetry = createTelemetry({ endpoint: pipeline.endpoints.otlpHttp, serviceName: 'flowtrace-e2e' });
  const providers = createProviders(
    {
      openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-e2e', ...options.providers?.openai },
      anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-e2e', ...options.providers?.anthropic },
    },
    {},
  );
  const cache = new FileResponseCache({ dir: join(home, 'cache') });
  return {
    pipeline,
    simulator,
    address,
    telemetry,
    home,
    runner: ({ cache: useCache = false } = {}) => createLlmStepRunner({ providers, telemetry, cache: useCache ? cache : undefined }),
    resetSimulator(config = {}) {
      simulator.configure(config);
      simulator.reset();
    },
    // The receiver answers only after the insert holding the spans committed, so a finished
    // export means the rows are queryable.
    flush: () => telemetry.forceFlush(),
    async rows<T>(sql: string) {
      const text = await pipeline.store.query(sql, 'JSONEachRow');
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as T);
    },
    async close() {
      await telemetry.shutdown();
      await simulator.stop();
      await pipeline.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A SQL string literal. */
export const sqlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
