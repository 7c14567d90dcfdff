// Finds strings in a decoded message by path. Only used on the rare path (a request that
// held invalid UTF-8), so it favours brevity over speed.

/** Paths (e.g. `resourceSpans[0].scopeSpans[0].spans[2].name`) of the strings that match. */
export function findStrings(node: unknown, matches: (text: string) => boolean, path = ''): string[] {
  if (typeof node === 'string') return matches(node) ? [path] : [];
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return [];
  if (Array.isArray(node)) return node.flatMap((item, i) => findStrings(item, matches, `${path}[${i}]`));
  // A decoded message's own properties are exactly its fields that are set.
  return Object.entries(node).flatMap(([key, value]) => findStrings(value, matches, path ? `${path}.${key}` : key));
}
