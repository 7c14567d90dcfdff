// What `flowtrace up --demo` plays: the two demo workflows on the provider simulator, with
// faults placed so the first run shows a retry, the second a fallback, and the third (the
// first again, same input) a cache hit. The first two runs' inputs carry a per-start batch
// label, so they miss the response cache on every start and really meet the faults.
import { fileURLToPath } from 'node:url';
import { tools as csvTools } from '../demos/csv-stats.ts';
import type { SimulatorConfig } from '../simulator/index.ts';
import type { WorkflowSpec } from '../spec/types.ts';
import { loadWorkflow } from '../index.ts';

export const DEMO_TOOLS = csvTools;

const OPENAI_MODEL = 'gpt-4o-mini';

/**
 * gpt-4o-mini's calls, in the order the demo makes them: 1 = research summary (rate
 * limited, retried as call 2), 3 = CSV analysis (503: falls back to Anthropic), 4 = write-up.
 * Latency makes the live view show steps as they happen.
 */
export const DEMO_SIMULATOR_CONFIG: SimulatorConfig = {
  latency: {
    default: { fixedMs: 150, perTokenMs: 0.5 },
    models: { 'claude-*': { fixedMs: 300, perTokenMs: 1 } },
  },
  faults: [
    { model: OPENAI_MODEL, calls: [1], fault: 'rate_limit', retryAfterMs: 400 },
    { model: OPENAI_MODEL, calls: [3], fault: 'unavailable' },
  ],
};

export interface DemoRun {
  /** What the run demonstrates, printed before it. */
  title: string;
  workflow: WorkflowSpec;
  inputs: Record<string, unknown>;
}

const demoFile = (name: string) => fileURLToPath(new URL(`../demos/${name}`, import.meta.url));

/** The runs of one demo start; `batch` labels this start's data. */
export async function demoRuns(batch: string): Promise<DemoRun[]> {
  const research = await loadWorkflow(demoFile('research-summarize-decide-deep.json'));
  const csv = await loadWorkflow(demoFile('csv-analysis-writeup.json'), { tools: DEMO_TOOLS });
  const notes = `${String(research.inputs?.notes?.default ?? '')}\n\nCollected for batch ${batch}. [[sim:tokens=700]]`;
  // A batch column makes this start's CSV (and so the analysis prompt) its own.
  const rows = String(csv.inputs?.csv?.default ?? '').trim().split('\n');
  const csvText = [`${rows[0]},batch`, ...rows.slice(1).map((row) => `${row},${batch}`)].join('\n');
  return [
    {
      title: 'a forced error: the first OpenAI call is rate limited (429) and retried after its Retry-After',
      workflow: research,
      inputs: { notes },
    },
    {
      title: 'a provider failure: OpenAI answers 503 for the analysis, which falls back to Anthropic',
      workflow: csv,
      inputs: { csv: csvText },
    },
    {
      title: 'the first run again, same input: both llm steps answered from the cache, cost $0',
      workflow: research,
      inputs: { notes },
    },
  ];
}
