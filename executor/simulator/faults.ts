// Decides, per call, which fault (if any) the simulator injects. Random rules draw from a
// hash of (seed, rule, model, call number) rather than a shared generator, so the faulty
// call numbers are the same on every run whatever the interleaving of other models.
import {
  DEFAULT_HANG_MS,
  DEFAULT_RETRY_AFTER_MS,
  STREAM_ONLY_FAULTS,
  type FaultKind,
  type FaultRule,
  type ProviderName,
} from './config.ts';
import { modelMatcher } from './model-pattern.ts';

export interface FaultDecision {
  kind: FaultKind;
  retryAfterMs: number;
  hangMs: number;
}

interface CompiledRule {
  index: number;
  matchesModel: (model: string) => boolean;
  provider?: ProviderName;
  calls?: ReadonlySet<number>;
  rate?: number;
  /** Kinds usable on streaming calls (all) and on non-streaming calls (stream-only kinds removed). */
  streamKinds: FaultKind[];
  plainKinds: FaultKind[];
  retryAfterMs: number;
  hangMs: number;
}

/** murmur3's finaliser over FNV-1a: cheap, and well spread even for consecutive call numbers. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

function mix32(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const TWO_POW_32 = 2 ** 32;

export class FaultPlan {
  private readonly rules: CompiledRule[];
  private readonly seed: number;
  private readonly rulesByModel = new Map<string, CompiledRule[]>();

  constructor(rules: readonly FaultRule[] = [], seed = 0) {
    this.seed = seed;
    this.rules = rules.map((rule, index) => {
      const kinds = Array.isArray(rule.fault) ? rule.fault : [rule.fault];
      return {
        index,
        matchesModel: rule.model === undefined ? () => true : modelMatcher(rule.model),
        provider: rule.provider,
        calls: rule.calls ? new Set(rule.calls) : undefined,
        rate: rule.rate,
        streamKinds: kinds,
        plainKinds: kinds.filter((k) => !STREAM_ONLY_FAULTS.has(k)),
        retryAfterMs: rule.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
        hangMs: rule.hangMs ?? DEFAULT_HANG_MS,
      };
    });
  }

  /** The fault for call number `call` (1-based, per model), or undefined for a normal answer. */
  decide(model: string, provider: ProviderName, stream: boolean, call: number): FaultDecision | undefined {
    for (const rule of this.rulesFor(model)) {
      if (rule.provider !== undefined && rule.provider !== provider) continue;
      if (rule.calls !== undefined && !rule.calls.has(call)) continue;
      const kinds = stream ? rule.streamKinds : rule.plainKinds;
      if (kinds.length === 0) continue;
      const draw = rule.rate !== undefined || kinds.length > 1 ? hash32(`${this.seed}|${rule.index}|${call}|${model}`) : 0;
      if (rule.rate !== undefined && draw / TWO_POW_32 >= rule.rate) continue;
      const kind = kinds.length === 1 ? kinds[0] : kinds[mix32(draw ^ 0x9e3779b9) % kinds.length];
      return { kind, retryAfterMs: rule.retryAfterMs, hangMs: rule.hangMs };
    }
    return undefined;
  }

  private rulesFor(model: string): CompiledRule[] {
    let rules = this.rulesByModel.get(model);
    if (rules === undefined) {
      rules = this.rules.filter((r) => r.matchesModel(model));
      this.rulesByModel.set(model, rules);
    }
    return rules;
  }
}
