// A router node: evaluates its rule over its rendered inputs; the value is the branch that
// outgoing edges' `when` conditions test (and the node's output).
import { FLOWTRACE } from '../../core/semconv.ts';
import { compileExpression, ExpressionError } from '../spec/expression.ts';
import type { RouterNode } from '../spec/types.ts';
import { FlowTraceRunError } from '../telemetry/index.ts';
import type { NodeOutcome, NodeRun } from './context.ts';
import { renderRecord } from './render.ts';

function branchOf(value: unknown, rule: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new FlowTraceRunError('parse_error', `rule '${rule}' gave ${JSON.stringify(value) ?? 'undefined'}, not a string, number or boolean`);
}

export function runRouterNode(node: RouterNode, run: NodeRun): NodeOutcome {
  const inputs = renderRecord(node.inputs, run.scope);
  let value: unknown;
  try {
    value = compileExpression(node.config.rule).evaluate(inputs);
  } catch (err) {
    if (err instanceof ExpressionError) throw new FlowTraceRunError('parse_error', err.message, { cause: err });
    throw err;
  }
  const branch = branchOf(value, node.config.rule);
  run.step.setAttribute(FLOWTRACE.ROUTER_BRANCH, branch);
  return { output: branch, branch };
}
