// Trace event ids: `<span end ns>:<span id>:<n>`, n = position of the event among its
// span's events. Spans reach storage and the bus after they end, so ordering events by
// (end time, span id, n) is the same order for a history query and for the live feed of
// one producer, and an id alone says where to resume.

export interface EventKey {
  endNs: bigint;
  spanId: string;
  n: number;
}

const ID = /^(\d{1,19}):([0-9A-Za-z]{1,64}):(\d{1,4})$/;

export function formatEventId(endNs: bigint, spanId: string, n: number): string {
  return `${endNs}:${spanId}:${n}`;
}

/** The key of a well-formed id, else undefined. */
export function parseEventId(id: string): EventKey | undefined {
  const match = ID.exec(id);
  if (!match) return undefined;
  const endNs = BigInt(match[1]!);
  if (endNs > 9_223_372_036_854_775_807n) return undefined;
  return { endNs, spanId: match[2]!, n: Number(match[3]) };
}

export function compareEventKeys(a: EventKey, b: EventKey): number {
  if (a.endNs !== b.endNs) return a.endNs < b.endNs ? -1 : 1;
  if (a.spanId !== b.spanId) return a.spanId < b.spanId ? -1 : 1;
  return a.n - b.n;
}
