// The tools every run has: http_get, json_path, template.
import { createHttpGetTool, type HttpGetConfigInput } from './http-get.ts';
import { jsonPathTool } from './json-path.ts';
import type { ToolFunction } from './types.ts';

export const BUILTIN_TOOL_NAMES = ['http_get', 'json_path', 'template'] as const;

export interface BuiltinToolsConfig {
  http?: HttpGetConfigInput;
}

/** The template tool's text arrives rendered (all tool arguments are), so it is the output. */
const templateTool: ToolFunction = (args) => String(args.template ?? '');

export function builtinTools(config: BuiltinToolsConfig = {}): Record<(typeof BUILTIN_TOOL_NAMES)[number], ToolFunction> {
  return { http_get: createHttpGetTool(config.http), json_path: jsonPathTool, template: templateTool };
}
