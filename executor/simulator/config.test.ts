import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimulatorConfigError, validateSimulatorConfig } from './config.ts';
import { ProviderSimulator } from './simulator.ts';

describe('simulator configuration', () => {
  it('accepts the documented example and an empty config', () => {
    const example: unknown = JSON.parse(readFileSync(new URL('./example.config.json', import.meta.url), 'utf8'));
    expect(validateSimulatorConfig(example)).toEqual(example);
    expect(validateSimulatorConfig({})).toEqual({});
  });

  it('names every offending field', () => {
    const attempt = () =>
      validateSimulatorConfig({ cache: { openaiMinPrefixTokens: -1, other: 1 }, reasoningModels: [''], faults: [{ fault: 'drop', hangMs: 0 }] });
    expect(attempt).toThrow(SimulatorConfigError);
    const problems = (() => {
      try {
        attempt();
      } catch (err) {
        return (err as SimulatorConfigError).problems;
      }
      return [];
    })();
    expect(new Set(problems)).toEqual(
      new Set([
        'cache: unknown property "other"',
        'cache.openaiMinPrefixTokens: must be >= 0',
        'reasoningModels[0]: must NOT have fewer than 1 characters',
        'faults[0].hangMs: must be >= 1',
      ]),
    );
  });

  it('refuses an invalid config in the constructor and in configure(), keeping the previous one', () => {
    expect(() => new ProviderSimulator({ seed: 'x' } as never)).toThrow(/seed: must be integer/);
    const simulator = new ProviderSimulator({ seed: 1 });
    expect(() => simulator.configure({ faults: [{ fault: 'rate_limit', calls: [0] }] })).toThrow(/faults\[0\]\.calls\[0\]: must be >= 1/);
    expect(simulator.config()).toEqual({ seed: 1 });
  });

  it('keeps its own copy of the configuration', () => {
    const config = { faults: [{ fault: 'drop' as const }] };
    const simulator = new ProviderSimulator(config);
    config.faults.push({ fault: 'drop' });
    expect(simulator.config().faults).toHaveLength(1);
  });
});
