// Workflow documents the service tests run against the provider simulator. Test support only.

/** `a → b → c`, one llm node per model (so simulator counts tell the nodes apart). */
export function llmChain(models: [string, string, string], name = 'chain'): Record<string, unknown> {
  const node = (id: string, model: string, prompt: string) => ({
    id,
    type: 'llm',
    config: { provider: 'openai', model, prompt, maxTokens: 64 },
    retry: { maxAttempts: 1 },
    cache: false,
  });
  return {
    version: '1',
    name,
    entry: 'a',
    inputs: { topic: { description: 'What to write about', default: 'tracing' } },
    nodes: [
      node('a', models[0], 'Outline {{input.topic}}.'),
      node('b', models[1], 'Expand: {{node.a.output}}'),
      node('c', models[2], 'Summarise: {{node.b.output}}'),
    ],
    edges: [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
    ],
  };
}
