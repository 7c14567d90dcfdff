// Live events of a run (seed 004's trace events), for progress output and SSE. Content
// (prompts, completions, tool arguments and results) is included only when capture is on.

export type RunEventKind =
  | 'run.status'
  | 'step.status'
  | 'llm.request'
  | 'llm.response'
  | 'tool.request'
  | 'tool.response'
  | 'retry'
  | 'fallback'
  | 'cache.hit'
  | 'budget'
  | 'guardrail'
  | 'log';

export interface RunEvent {
  /** ISO-8601 time the event happened. */
  ts: string;
  kind: RunEventKind;
  runId: string;
  stepId?: string;
  nodeId?: string;
  payload: Record<string, unknown>;
}

export type RunEventListener = (event: RunEvent) => void;

export interface EventOrigin {
  stepId?: string;
  nodeId?: string;
}

/** Emits events to an optional listener; a throwing listener never breaks the run. */
export class RunEvents {
  constructor(
    private readonly runId: string,
    private readonly listener: RunEventListener | undefined,
  ) {}

  emit(kind: RunEventKind, payload: Record<string, unknown>, origin: EventOrigin = {}): void {
    if (!this.listener) return;
    const event: RunEvent = { ts: new Date().toISOString(), kind, runId: this.runId, ...origin, payload };
    try {
      this.listener(event);
    } catch (err) {
      process.emitWarning(`flowtrace: onEvent listener threw on ${kind}: ${(err as Error).message}`);
    }
  }
}
