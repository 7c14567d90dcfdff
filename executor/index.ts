// The executor's public API: validate and run workflow files, register tools, and the
// parts a caller wires together (telemetry, providers, response cache, llm runner).
import { BUILTIN_TOOL_NAMES } from './tools/builtins.ts';
import { registeredTools } from './tools/registry.ts';
import type { ToolFunction } from './tools/types.ts';
import type { LimitMaxima } from './spec/semantic.ts';
import type { WorkflowSpec } from './spec/types.ts';
import { loadDocument, validateDocument, type ValidationResult } from './spec/validate.ts';

export { RunIdError, runWorkflow, type RunWorkflowOptions } from './runtime/run.ts';
export type { RunStatus, RunSummary, RunTotals } from './runtime/summary.ts';
export type { RunEvent, RunEventKind, RunEventListener } from './runtime/events.ts';
export { RunInputError } from './runtime/inputs.ts';
export type { StepStatus, StepSummary } from './compiler/state.ts';
export { WorkflowValidationError, formatIssue, type ValidationIssue } from './spec/issues.ts';
export { WORKFLOW_SCHEMA } from './spec/schema.ts';
export { DEFAULT_LIMIT_MAXIMA, type LimitMaxima } from './spec/semantic.ts';
export type { ValidationResult } from './spec/validate.ts';
export type * from './spec/types.ts';
export { registerTool } from './tools/registry.ts';
export { ToolError, type ToolContext, type ToolFunction } from './tools/types.ts';
export type { HttpGetConfigInput } from './tools/http-get.ts';
export { FileCheckpointSaver } from './checkpoint/file-saver.ts';
export type { AttemptEvent, LlmStepRunner, LlmStepRequest, LlmStepResult, StepContext } from './contracts.ts';
export { createLlmStepRunner } from './llm/index.ts';
export { createProviders } from './providers/index.ts';
export { FileResponseCache } from './cache/index.ts';
export { createTelemetry, FlowTraceRunError } from './telemetry/index.ts';

export interface ValidateWorkflowOptions {
  /** Configured maxima for limits and budget. */
  limits?: Partial<LimitMaxima>;
  /** Tools available besides the built-ins and registerTool() registrations. */
  tools?: Record<string, ToolFunction>;
}

function toolNames(options: ValidateWorkflowOptions): string[] {
  return [...BUILTIN_TOOL_NAMES, ...registeredTools.names(), ...Object.keys(options.tools ?? {})];
}

/** Checks a workflow document; every problem is reported, each with its path. */
export function validateWorkflow(json: unknown, options: ValidateWorkflowOptions = {}): ValidationResult {
  return validateDocument(json, { maxima: options.limits, tools: toolNames(options) });
}

/** Reads and validates a workflow file; throws WorkflowValidationError listing every problem. */
export function loadWorkflow(path: string, options: ValidateWorkflowOptions = {}): Promise<WorkflowSpec> {
  return loadDocument(path, { maxima: options.limits, tools: toolNames(options) });
}
