// Shared set-up for run-time tests: the provider simulator behind the real SDKs, the real
// llm step runner, and spans captured in memory.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createLlmStepRunner } from '../llm/index.ts';
import { createProviders } from '../providers/index.ts';
import { ProviderSimulator, type SimulatorAddress, type SimulatorConfig } from '../simulator/index.ts';
import { captureTelemetry, type CapturedTelemetry } from '../telemetry/test-support.ts';
import type { LlmStepRunner } from '../contracts.ts';
import type { ResponseCache } from '../cache/index.ts';

export interface Harness {
  simulator: ProviderSimulator;
  address: SimulatorAddress;
  captured: CapturedTelemetry;
  /** A runner on the simulator; pass a cache to exercise cache hits. */
  runner(cache?: ResponseCache): LlmStepRunner;
  /** Provider calls made per model since the last reset. */
  calls(model: string): number;
  /** Resets simulator counters, configuration and captured spans (earlier spans flushed first) between tests. */
  reset(config?: SimulatorConfig): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  captureContent?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const simulator = new ProviderSimulator();
  const address = await simulator.start();
  const captured = captureTelemetry(options);
  const providers = createProviders(
    { openai: { baseUrl: address.openaiBaseUrl, apiKey: 'sk-test' }, anthropic: { baseUrl: address.anthropicBaseUrl, apiKey: 'sk-ant-test' } },
    {},
  );
  return {
    simulator,
    address,
    captured,
    runner: (cache) => createLlmStepRunner({ providers, cache, telemetry: captured.telemetry }),
    calls: (model) => simulator.stats().models[model]?.calls ?? 0,
    async reset(config = {}) {
      simulator.configure(config);
      simulator.reset();
      await captured.telemetry.forceFlush();
      captured.reset();
    },
    async close() {
      await simulator.stop();
      await captured.telemetry.shutdown();
    },
  };
}

/**
 * A harness for the calling test file: started before its tests, closed after them and
 * reset (to `config`) before each. Call at the top level; use the result inside tests.
 */
export function useHarness(options: HarnessOptions & { config?: SimulatorConfig } = {}): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    Object.assign(harness, await startHarness(options));
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.reset(options.config));
  return harness;
}

export const attributesOf = (span: ReadableSpan) => span.attributes as Record<string, unknown>;
