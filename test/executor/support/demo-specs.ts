// Test copies of the demo workflows: same graph, prompts and models, with retry waits cut
// to a millisecond so fault-heavy tests stay fast (the server's Retry-After is capped by
// maxDelayMs too).
import { fileURLToPath } from 'node:url';
import { loadWorkflow, type WorkflowSpec } from '../../../executor/index.ts';
import { tools as csvTools } from '../../../executor/demos/csv-stats.ts';

export const RESEARCH = 'research-summarize-decide-deep.json';
export const CSV = 'csv-analysis-writeup.json';
export { csvTools };

export const FAST_RETRY = { maxAttempts: 3, initialDelayMs: 1, backoffFactor: 2, maxDelayMs: 2, jitter: 0 };

export async function demoSpec(file: string): Promise<WorkflowSpec> {
  return loadWorkflow(fileURLToPath(new URL(`../../../executor/demos/${file}`, import.meta.url)), { tools: csvTools });
}

/** The demo with every llm node retrying fast; `patch` adjusts the copy further. */
export async function fastDemoSpec(file: string, patch: (spec: WorkflowSpec) => void = () => {}): Promise<WorkflowSpec> {
  const spec = structuredClone(await demoSpec(file));
  for (const node of spec.nodes) if (node.type === 'llm') node.retry = { ...FAST_RETRY };
  patch(spec);
  return spec;
}
