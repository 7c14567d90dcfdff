// `flowtrace run <file.json>`: validates a workflow, runs it against the providers named by
// the environment (OPENAI_BASE_URL / ANTHROPIC_BASE_URL and keys), sends its spans to
// OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, else the local `flowtrace up` on 127.0.0.1:4318),
// prints progress and a summary, and flushes the spans before exiting.
// Exit codes: 0 succeeded, 1 failed or cancelled, 2 invalid workflow, inputs or flags.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import {
  FileResponseCache,
  RunIdError,
  RunInputError,
  WorkflowValidationError,
  createLlmStepRunner,
  createProviders,
  createTelemetry,
  loadWorkflow,
  runWorkflow,
  type RunEvent,
  type RunSummary,
  type StepSummary,
  type ToolFunction,
} from '../../executor/index.ts';
import { limitMaximaFromEnv } from '../../executor/guardrails/config.ts';

interface RunFlags {
  input: string[];
  resume?: string;
  runId?: string;
  captureContent?: boolean;
  allowHost: string[];
  tools: string[];
  cache: boolean;
  endpoint?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Exit code 2: the run could not start because of what the user gave. */
class UsageError extends Error {}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `key=value`; `key=@path` reads the value from a file. */
function parseInputs(pairs: string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--input ${pair}: expected key=value`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (!value.startsWith('@')) {
      inputs[key] = value;
      continue;
    }
    try {
      inputs[key] = readFileSync(value.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`--input ${key}: cannot read ${value.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return inputs;
}

/** Tool modules export `tools`: an object of tool functions by name. */
async function loadToolModules(paths: string[]): Promise<Record<string, ToolFunction>> {
  const tools: Record<string, ToolFunction> = {};
  for (const path of paths) {
    const module = (await import(pathToFileURL(resolve(path)).href)) as { tools?: Record<string, ToolFunction> };
    if (!module.tools || typeof module.tools !== 'object') throw new UsageError(`--tools ${path}: the module exports no 'tools' object`);
    Object.assign(tools, module.tools);
  }
  return tools;
}

function allowHosts(flags: RunFlags): string[] {
  const fromEnv = (process.env.FLOWTRACE_HTTP_ALLOW_HOSTS ?? '').split(',').map((host) => host.trim()).filter(Boolean);
  return [...flags.allowHost, ...fromEnv];
}

const PROGRESS: Partial<Record<RunEvent['kind'], (event: RunEvent) => string | undefined>> = {
  'step.status': ({ nodeId, payload }) =>
    payload.status === 'running' ? `▶ ${nodeId}` : `${payload.status === 'succeeded' ? '✓' : payload.status === 'skipped' ? '–' : '✗'} ${nodeId} ${payload.status}${payload.error ? `: ${String(payload.error)}` : ''}`,
  retry: ({ nodeId, payload }) => `  ↻ ${nodeId}: ${String(payload.reason)}, attempt ${String(payload.attempt)} in ${String(payload.delayMs)} ms`,
  fallback: ({ nodeId, payload }) => `  ⇢ ${nodeId}: ${String(payload.from)} failed (${String(payload.reason)}), falling back to ${String(payload.to)}`,
  'cache.hit': ({ nodeId }) => `  ⚡ ${nodeId}: cache hit`,
  budget: ({ payload }) => `  $ soft budget passed: $${String(payload.spentUsd)} > $${String(payload.limitUsd)}`,
  guardrail: ({ payload }) => `  ⛔ ${String(payload.message)}`,
  log: ({ payload }) => `  ${String(payload.level ?? 'info')}: ${String(payload.message)}`,
};

function progress(event: RunEvent): void {
  const line = PROGRESS[event.kind]?.(event);
  if (line) process.stderr.write(`${line}\n`);
}

function stepLine(step: StepSummary): string {
  const tokens = step.tokens.input + step.tokens.output;
  const notes = [
    step.branch !== undefined ? `branch=${step.branch}` : '',
    step.cacheHit ? 'cache hit' : '',
    step.fallbackUsed ? `fallback→${step.provider}/${step.model}` : '',
    step.retries ? `${step.retries} retr${step.retries === 1 ? 'y' : 'ies'}` : '',
    step.resumed ? 'from checkpoint' : '',
    step.skipReason ?? '',
    step.error ? `${step.failureReason}: ${step.error}` : '',
  ].filter(Boolean);
  const cost = step.type !== 'llm' || step.status === 'skipped' ? '-' : step.costUsd === null ? 'unpriced' : `$${step.costUsd}`;
  return `  ${step.nodeId.padEnd(18)} ${step.type.padEnd(6)} ${step.status.padEnd(9)} ${String(tokens).padStart(7)} tok ${cost.padStart(12)} ${String(step.latencyMs).padStart(6)} ms  ${notes.join('; ')}`;
}

function formatSummary(summary: RunSummary, file: string): string {
  const { totals } = summary;
  const lines = [
    `run ${summary.runId} (${summary.workflowName}): ${summary.status}${summary.resumed ? ' (resumed)' : ''} in ${summary.durationMs} ms`,
    ...summary.steps.map(stepLine),
    `  tokens: ${totals.tokens.total} (input ${totals.tokens.input}, output ${totals.tokens.output}, cache read ${totals.tokens.cacheRead}, cache write ${totals.tokens.cacheWrite}, reasoning ${totals.tokens.reasoning})`,
    `  cost: ${totals.costUsd === null ? 'unknown (unpriced model)' : `$${totals.costUsd}`}   llm calls: ${totals.llmCalls}   retries: ${totals.retries}   fallbacks: ${totals.fallbacks}   cache hits: ${totals.cacheHits}`,
  ];
  if (summary.error) lines.push(`  error (${summary.failureReason}): ${summary.error}`);
  if (summary.status !== 'succeeded') lines.push(`  resume with: flowtrace run ${file} --resume ${summary.runId}`);
  return `${lines.join('\n')}\n`;
}

/** Resolves once everything written to stdout has been handed to the OS. */
const drained = () => new Promise<void>((done) => process.stdout.write('', () => done()));

const FLUSH_TIMEOUT_MS = 3000;

/** Exports the buffered spans; an unreachable collector gets a warning, not the terminal. */
async function flush(shutdown: () => Promise<void>, endpoint: string | undefined): Promise<void> {
  const flushed = await Promise.race([
    shutdown().then(
      () => true,
      () => false,
    ),
    new Promise<false>((done) => setTimeout(() => done(false), FLUSH_TIMEOUT_MS).unref()),
  ]);
  if (!flushed) {
    const target = endpoint ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
    process.stderr.write(`flowtrace: spans not delivered to ${target} within ${FLUSH_TIMEOUT_MS / 1000} s (is \`flowtrace up\` or a collector running?)\n`);
  }
}

async function run(file: string, flags: RunFlags): Promise<number> {
  const config = loadConfig();
  const limits = limitMaximaFromEnv(process.env);
  const tools = await loadToolModules(flags.tools);
  const spec = await loadWorkflow(file, { limits, tools });
  const inputs = parseInputs(flags.input);
  const telemetry = createTelemetry({ endpoint: flags.endpoint, captureContent: flags.captureContent || undefined });
  const runner = createLlmStepRunner({
    providers: createProviders({}, process.env),
    cache: flags.cache ? new FileResponseCache({ dir: join(config.home, 'cache') }) : undefined,
    telemetry,
  });
  const cancel = new AbortController();
  const onSigint = () => cancel.abort();
  process.once('SIGINT', onSigint);
  try {
    const summary = await runWorkflow(spec, {
      inputs,
      runId: flags.resume ?? flags.runId,
      resume: flags.resume !== undefined,
      signal: cancel.signal,
      runner,
      tools,
      limits,
      telemetry,
      checkpointDir: join(config.home, 'checkpoints'),
      http: { allowHosts: allowHosts(flags) },
      onEvent: flags.quiet || flags.json ? undefined : progress,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, file));
    return summary.status === 'succeeded' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await flush(() => telemetry.shutdown(), flags.endpoint);
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Validate and run a workflow file; spans go to OTLP (default: the local `flowtrace up`)')
    .argument('<file>', 'workflow JSON file (spec version 1)')
    .option('-i, --input <key=value>', 'a workflow input; key=@path reads the value from a file (repeatable)', collect, [])
    .option('--resume <run-id>', 'continue an interrupted run from its checkpoint; completed steps are not repeated')
    .option('--run-id <id>', 'id of a new run (default: a random UUID)')
    .option('--capture-content', 'record prompts, completions and tool data on spans (off by default)')
    .option('--allow-host <host>', 'host the http_get tool may contact, e.g. example.com, *.example.com, host:port (repeatable; env FLOWTRACE_HTTP_ALLOW_HOSTS)', collect, [])
    .option('--tools <module>', "module exporting `tools` (name → function) for tool nodes (repeatable)", collect, [])
    .option('--no-cache', 'do not use the exact-match response cache')
    .option('--endpoint <url>', 'OTLP/HTTP endpoint for spans (default: OTEL_EXPORTER_OTLP_ENDPOINT, else http://127.0.0.1:4318)')
    .option('--json', 'print the run summary as JSON instead of a table')
    .option('-q, --quiet', 'no progress lines')
    .action(async (file: string, flags: RunFlags) => {
      let code: number;
      try {
        code = await run(file, flags);
      } catch (err) {
        if (!(err instanceof WorkflowValidationError || err instanceof RunInputError || err instanceof RunIdError || err instanceof UsageError)) throw err;
        process.stderr.write(`flowtrace: ${err.message}\n`);
        code = 2;
      }
      await drained();
      // Provider keep-alive sockets would otherwise hold the process open for seconds.
      process.exit(code);
    });
}
