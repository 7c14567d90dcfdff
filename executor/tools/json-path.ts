// The json_path tool: selects from a JSON value (or JSON text) with a JSONPath expression.
import { JSONPath } from 'jsonpath-plus';
import { ToolError, type ToolFunction } from './types.ts';

export const jsonPathTool: ToolFunction = (args) => {
  let source = args.source;
  if (typeof source === 'string') {
    try {
      source = JSON.parse(source);
    } catch (err) {
      throw new ToolError('parse_error', `json_path: source is not JSON: ${(err as Error).message}`);
    }
  }
  let matches: unknown[];
  try {
    // 'safe': filter expressions run in jsonpath-plus's own evaluator, never in eval.
    matches = JSONPath({ path: String(args.path), json: source as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch (err) {
    throw new ToolError('parse_error', `json_path: '${String(args.path)}': ${(err as Error).message}`);
  }
  return args.first ? (matches[0] ?? null) : matches;
};
