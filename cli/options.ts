import { InvalidArgumentError } from 'commander';

/** Commander parser for TCP port flags (0 = any free port). */
export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new InvalidArgumentError(`expected a port number 0-65535, got "${raw}"`);
  return port;
}
