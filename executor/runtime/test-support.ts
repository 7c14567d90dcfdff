// Shared set-up for run-time tests: the provider simulator behind the real SDKs, the real
// llm step runner, and spans captured in memory.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
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

export async function startHarness(options: { captureContent?: boolean } = {}): Promise<Harness> {
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

export const attributesOf = (span: ReadableSpan) => span.attributes as Record<string, unknown>;
