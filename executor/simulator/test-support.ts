// Shared set-up for the simulator's tests: a simulator on a free loopback port and the
// real SDK clients pointed at it, without retries so every call is one HTTP request.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { SimulatorConfig } from './config.ts';
import { ProviderSimulator, type SimulatorAddress } from './simulator.ts';

export interface SimulatorHarness {
  simulator: ProviderSimulator;
  address: SimulatorAddress;
  openai: OpenAI;
  anthropic: Anthropic;
  stop(): Promise<void>;
}

export async function startHarness(config: SimulatorConfig = {}, timeoutMs = 10_000): Promise<SimulatorHarness> {
  const simulator = new ProviderSimulator(config);
  const address = await simulator.start();
  return {
    simulator,
    address,
    openai: new OpenAI({ apiKey: 'sk-test', baseURL: address.openaiBaseUrl, maxRetries: 0, timeout: timeoutMs }),
    anthropic: new Anthropic({ apiKey: 'sk-ant-test', baseURL: address.anthropicBaseUrl, maxRetries: 0, timeout: timeoutMs, openTelemetry: false }),
    stop: () => simulator.stop(),
  };
}

/** What a test file's simulator gets back to before each test. */
export type BeforeEachTest = 'initial-config-and-counters' | 'counters' | 'nothing';

/**
 * A harness for the calling test file, started with `config` before its tests and stopped
 * after them. Call at the top level; use the result inside tests.
 */
export function useSimulatorHarness(config: SimulatorConfig = {}, beforeEachTest: BeforeEachTest = 'initial-config-and-counters'): SimulatorHarness {
  const harness = {} as SimulatorHarness;
  beforeAll(async () => {
    Object.assign(harness, await startHarness(config));
  });
  afterAll(() => harness.stop());
  if (beforeEachTest !== 'nothing') {
    beforeEach(() => {
      if (beforeEachTest === 'initial-config-and-counters') harness.simulator.configure(config);
      harness.simulator.reset();
    });
  }
  return harness;
}

/** The documented tokenizer, written out again so tests check the simulator independently. */
export const tokens = (text: string): number => Math.ceil(text.length / 4);
