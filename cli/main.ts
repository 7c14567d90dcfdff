// The `flowtrace` command line. Each subcommand lives in cli/commands/<name>.ts and
// exports `register(program)`, so this file is only the list of what exists.
import { Command } from 'commander';
import { commands } from './commands/index.ts';

const program = new Command('flowtrace')
  .description('OpenTelemetry-native observability pipeline for LLM agent workflows')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // One clear line on error, non-zero exit (DESIGN.md §7).
  process.stderr.write(`flowtrace: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
