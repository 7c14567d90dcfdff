// Settings the Kafka commands (`process`, `ingest --kafka`) share, resolved as flag >
// environment variable > default, with errors naming the flag or variable.
import { DEFAULT_PORTS, FLOWTRACE_ENV } from '../../core/defaults.ts';
import { parseBrokers } from '../../ingest/kafka/index.ts';

/** The flag's value, else the environment variable's (ignored when empty), else the default. */
export function setting(flag: string | undefined, envName: string, fallback: string): { value: string; source: string } {
  if (flag !== undefined) return { value: flag, source: 'flag' };
  const env = process.env[envName];
  if (env !== undefined && env !== '') return { value: env, source: envName };
  return { value: fallback, source: 'default' };
}

export function brokersSetting(flag: string | undefined): string[] {
  const { value, source } = setting(flag, FLOWTRACE_ENV.KAFKA_BROKERS, `127.0.0.1:${DEFAULT_PORTS.KAFKA}`);
  return parseBrokers(value, source === 'flag' ? '--brokers' : source);
}

/** A whole number within [min, max] from a flag or variable. */
export function integerSetting(flag: string | undefined, envName: string | undefined, fallback: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const { value, source } = envName ? setting(flag, envName, String(fallback)) : { value: flag ?? String(fallback), source: flag === undefined ? 'default' : 'flag' };
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new Error(`${source === 'flag' ? name : source}: expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
