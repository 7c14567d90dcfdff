// Model selectors in the config are exact names or globs (`gpt-4o*`, `claude-*-haiku`).

/** Compiles a model name or glob (`*` matches any run of characters) into a predicate. */
export function modelMatcher(pattern: string): (model: string) => boolean {
  if (!pattern.includes('*')) return (model) => model === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`);
  return (model) => re.test(model);
}
