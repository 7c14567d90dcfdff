// A workflow's graph as the service stores it: the client's graph_json validated with the
// executor's JSON Schema and semantic checks, carrying the workflow's id (so spans of its
// runs have flowtrace.workflow.id = the API id) and its name when the graph has none.
import { randomBytes } from 'node:crypto';
import { validateWorkflow, type LimitMaxima, type ToolFunction, type WorkflowSpec } from '../../executor/index.ts';
import { InvalidBodyError, type RequestIssue } from '../http/errors.ts';

export interface GraphRules {
  /** Maxima for the graph's own limits and budget. */
  limits: Partial<LimitMaxima>;
  maxGraphNodes: number;
  /** Tools tool nodes may use besides the built-ins. */
  tools: Record<string, ToolFunction>;
}

/** Where graph_json sits in a request body; validation paths are reported under it. */
const FIELD = 'graph_json';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

const at = (path: string) => (path === '' ? FIELD : `${FIELD}.${path}`);

/** A fresh workflow id (`wf_` + 16 hex digits), valid as a spec id. */
export function newWorkflowId(): string {
  return `wf_${randomBytes(8).toString('hex')}`;
}

/** The id a new workflow gets: the graph's own `id` when it has one, else a fresh one. */
export function workflowIdFor(graph: unknown): string {
  return isObject(graph) && typeof graph.id === 'string' && graph.id !== '' ? graph.id : newWorkflowId();
}

/**
 * Validates `graph` for workflow `id`; returns the graph to store. Throws InvalidBodyError
 * listing every problem, each with its path in the request body (`graph_json.nodes[1].config.model`).
 */
export function prepareGraph(graph: unknown, workflow: { id: string; name: string }, rules: GraphRules): WorkflowSpec {
  if (!isObject(graph)) throw new InvalidBodyError('invalid workflow', [{ path: FIELD, message: 'expected a workflow object (spec version 1)' }]);
  const issues: RequestIssue[] = [];
  if (graph.id !== undefined && graph.id !== workflow.id) {
    issues.push({ path: at('id'), message: `must be "${workflow.id}", the workflow's id (or left out)` });
  }
  // Checked first: a graph over the limit is not worth validating node by node.
  if (Array.isArray(graph.nodes) && graph.nodes.length > rules.maxGraphNodes) {
    issues.push({ path: at('nodes'), message: `${graph.nodes.length} nodes, more than the configured maximum of ${rules.maxGraphNodes}` });
    throw new InvalidBodyError('invalid workflow', issues);
  }
  const stored: Record<string, unknown> = { ...graph, id: workflow.id };
  if (stored.name === undefined) stored.name = workflow.name;
  const result = validateWorkflow(stored, { limits: rules.limits, tools: rules.tools });
  if (!result.ok) issues.push(...result.issues.map((issue) => ({ path: at(issue.path), message: issue.message })));
  if (issues.length > 0) throw new InvalidBodyError('invalid workflow', issues);
  return stored as unknown as WorkflowSpec;
}
