// TypeScript view of workflow.schema.json (version 1). The schema is the source of truth;
// these types describe a document that passed validation.
import type { LlmTarget, ProviderName } from '../contracts.ts';

export type NodeType = 'llm' | 'tool' | 'router';

export interface InputDeclaration {
  description?: string;
  default?: unknown;
  /** Defaults to true when no default is given. */
  required?: boolean;
}

export interface RetrySpec {
  maxAttempts?: number;
  initialDelayMs?: number;
  backoffFactor?: number;
  maxDelayMs?: number;
  jitter?: number;
}

export interface LlmConfig {
  provider: ProviderName;
  model: string;
  system?: string;
  prompt?: string;
  temperature?: number;
  maxTokens?: number;
  stream?: boolean;
  timeoutSeconds?: number;
}

export interface ToolConfig {
  tool?: string;
  [arg: string]: unknown;
}

export interface RouterConfig {
  rule: string;
}

interface NodeBase {
  id: string;
  name?: string;
  description?: string;
  inputs?: Record<string, unknown>;
  semantic_label?: string;
}

export interface LlmNode extends NodeBase {
  type: 'llm';
  config: LlmConfig;
  retry?: RetrySpec;
  fallbacks?: LlmTarget[];
  cache?: boolean;
}

export interface ToolNode extends NodeBase {
  type: 'tool';
  config: ToolConfig;
  retry?: RetrySpec;
}

export interface RouterNode extends NodeBase {
  type: 'router';
  config: RouterConfig;
}

export type WorkflowNode = LlmNode | ToolNode | RouterNode;

export interface WorkflowEdge {
  from: string;
  to: string;
  when?: string;
}

export interface WorkflowLimits {
  maxNodes?: number;
  maxTokens?: number;
  timeoutSeconds?: number;
}

export interface WorkflowBudget {
  hardUsd?: number;
  softUsd?: number;
}

export interface WorkflowSpec {
  version: '1';
  id?: string;
  name?: string;
  description?: string;
  entry: string;
  inputs?: Record<string, InputDeclaration>;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  limits?: WorkflowLimits;
  budget?: WorkflowBudget;
  parallel?: boolean;
}
