import type { Command } from 'commander';
import { register as ingest } from './ingest.ts';
import { register as processCommand } from './process.ts';
import { register as run } from './run.ts';
import { register as simulate } from './simulate.ts';
import { register as sql } from './sql.ts';
import { register as tail } from './tail.ts';
import { register as up } from './up.ts';

/** Every subcommand registers itself on the program. Add one import and one entry per command. */
export const commands: Array<(program: Command) => void> = [up, simulate, run, processCommand, ingest, sql, tail];
