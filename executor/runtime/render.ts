// Renders templates against a run's state: `{{node.<id>.output[.<path>]}}` and
// `{{input.<name>}}`. A string that is one placeholder keeps the value's type (an object
// stays an object); placeholders inside text are replaced by the value's text (JSON for
// objects). A skipped node's output renders as empty (null when raw); a path that does not
// exist in an output that does is an error, not a silent blank.
import type { StepSummary } from '../compiler/state.ts';
import { FlowTraceRunError } from '../telemetry/index.ts';
import { PLACEHOLDER, parseReference, soleReference, type TemplateRef } from '../spec/template.ts';

export interface RenderScope {
  inputs: Record<string, unknown>;
  steps: Record<string, StepSummary>;
}

/** A template that cannot be resolved at run time (a missing path). */
export class TemplateResolutionError extends FlowTraceRunError {
  override name = 'TemplateResolutionError';
  constructor(message: string) {
    super('parse_error', message);
  }
}

function follow(value: unknown, path: string[], ref: TemplateRef): unknown {
  let current = value;
  for (const [depth, segment] of path.entries()) {
    if (current !== null && typeof current === 'object' && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      const at = [ref.kind === 'node' ? `node.${ref.nodeId}.output` : `input.${ref.name}`, ...path.slice(0, depth)].join('.');
      throw new TemplateResolutionError(`{{${ref.source}}}: ${at} has no '${segment}'`);
    }
  }
  return current;
}

function resolve(source: string, scope: RenderScope): unknown {
  const ref = parseReference(source);
  if (ref.kind === 'input') return follow(scope.inputs[ref.name], ref.path, ref);
  const step = scope.steps[ref.nodeId];
  if (step?.status !== 'succeeded') return null;
  return follow(step.output, ref.path, ref);
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function renderText(template: string, scope: RenderScope): string {
  return template.replace(PLACEHOLDER, (_match, source: string) => asText(resolve(source, scope)));
}

/** Renders every string inside a JSON value. */
export function renderValue(value: unknown, scope: RenderScope): unknown {
  if (typeof value === 'string') {
    const sole = soleReference(value);
    return sole === undefined ? renderText(value, scope) : resolve(sole, scope);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, scope)]));
  }
  return value;
}

export function renderRecord(record: Record<string, unknown> | undefined, scope: RenderScope): Record<string, unknown> {
  return renderValue(record ?? {}, scope) as Record<string, unknown>;
}
