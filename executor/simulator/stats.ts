// Counters the admin endpoint and tests read: per-model calls (which also number the
// calls for fault rules), injected faults and the usage the simulator reported.
import type { FaultKind, ProviderName } from './config.ts';

/** Token counts as reported to clients, summed; `inputTokens` includes cached tokens, `outputTokens` reasoning. */
export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface ModelStats {
  /** Provider API of the model's first call. */
  provider: ProviderName;
  calls: number;
  streamed: number;
  succeeded: number;
  faults: Partial<Record<FaultKind, number>>;
  usage: UsageTotals;
}

export interface SimulatorStats {
  startedAt: string;
  calls: number;
  succeeded: number;
  faults: number;
  /** Requests answered 400/401/404 before reaching a model (not counted as calls). */
  rejected: number;
  faultsByKind: Partial<Record<FaultKind, number>>;
  models: Record<string, ModelStats>;
}

function emptyUsage(): UsageTotals {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

export class StatsRecorder {
  private startedAt = new Date();
  private models = new Map<string, ModelStats>();
  private rejectedCount = 0;

  /** Counts a call and returns its 1-based number for this model. */
  call(model: string, provider: ProviderName, stream: boolean): number {
    let entry = this.models.get(model);
    if (entry === undefined) {
      entry = { provider, calls: 0, streamed: 0, succeeded: 0, faults: {}, usage: emptyUsage() };
      this.models.set(model, entry);
    }
    entry.calls++;
    if (stream) entry.streamed++;
    return entry.calls;
  }

  fault(model: string, kind: FaultKind): void {
    const faults = this.models.get(model)!.faults;
    faults[kind] = (faults[kind] ?? 0) + 1;
  }

  /** A call answered in full (or streamed to completion); its usage is added to the totals. */
  success(model: string, usage: UsageTotals): void {
    const entry = this.models.get(model)!;
    entry.succeeded++;
    entry.usage.inputTokens += usage.inputTokens;
    entry.usage.outputTokens += usage.outputTokens;
    entry.usage.cacheReadTokens += usage.cacheReadTokens;
    entry.usage.cacheWriteTokens += usage.cacheWriteTokens;
    entry.usage.reasoningTokens += usage.reasoningTokens;
  }

  rejected(): void {
    this.rejectedCount++;
  }

  snapshot(): SimulatorStats {
    const out: SimulatorStats = {
      startedAt: this.startedAt.toISOString(),
      calls: 0,
      succeeded: 0,
      faults: 0,
      rejected: this.rejectedCount,
      faultsByKind: {},
      models: {},
    };
    for (const [model, entry] of this.models) {
      out.models[model] = { ...entry, faults: { ...entry.faults }, usage: { ...entry.usage } };
      out.calls += entry.calls;
      out.succeeded += entry.succeeded;
      for (const [kind, n] of Object.entries(entry.faults) as Array<[FaultKind, number]>) {
        out.faults += n;
        out.faultsByKind[kind] = (out.faultsByKind[kind] ?? 0) + n;
      }
    }
    return out;
  }

  reset(): void {
    this.startedAt = new Date();
    this.models = new Map();
    this.rejectedCount = 0;
  }
}
