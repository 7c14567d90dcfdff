// Per-model simulated latency: a fixed delay plus a delay per output token.
import type { LatencySpec, SimulatorConfig } from './config.ts';
import { modelMatcher } from './model-pattern.ts';

export interface Latency {
  fixedMs: number;
  perTokenMs: number;
}

const NONE: Latency = { fixedMs: 0, perTokenMs: 0 };

function complete(spec: LatencySpec | undefined, fallback: Latency): Latency {
  return { fixedMs: spec?.fixedMs ?? fallback.fixedMs, perTokenMs: spec?.perTokenMs ?? fallback.perTokenMs };
}

export class LatencyTable {
  private readonly fallback: Latency;
  private readonly exact = new Map<string, Latency>();
  private readonly globs: Array<{ matches: (model: string) => boolean; latency: Latency }> = [];
  private readonly resolved = new Map<string, Latency>();

  constructor(spec: SimulatorConfig['latency'] = {}) {
    this.fallback = complete(spec.default, NONE);
    for (const [pattern, modelSpec] of Object.entries(spec.models ?? {})) {
      const latency = complete(modelSpec, this.fallback);
      if (pattern.includes('*')) this.globs.push({ matches: modelMatcher(pattern), latency });
      else this.exact.set(pattern, latency);
    }
  }

  /** Exact name first, then the first matching glob, then the default. */
  for(model: string): Latency {
    let latency = this.resolved.get(model);
    if (latency === undefined) {
      latency = this.exact.get(model) ?? this.globs.find((g) => g.matches(model))?.latency ?? this.fallback;
      this.resolved.set(model, latency);
    }
    return latency;
  }
}
