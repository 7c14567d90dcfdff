// Public surface of the provider simulator.
export { ProviderSimulator, type SimulatedCall, type SimulatorAddress, type SimulatorOptions } from './simulator.ts';
export {
  FAULT_KINDS,
  SimulatorConfigError,
  validateSimulatorConfig,
  type FaultKind,
  type FaultRule,
  type LatencySpec,
  type SimulatorConfig,
} from './config.ts';
export type { ModelStats, SimulatorStats, UsageTotals } from './stats.ts';
export { tokenCount } from './prompt.ts';
