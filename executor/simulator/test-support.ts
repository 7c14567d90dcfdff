// Shared set-up for the simulator's tests: a simulator on a free loopback port and the
// real SDK clients pointed at it, without retries so every call is one HTTP request.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
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

/** The documented tokenizer, written out again so tests check the simulator independently. */
export const tokens = (text: string): number => Math.ceil(text.length / 4);
