import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, WorkflowValidationError } from './issues.ts';
import { loadDocument, validateDocument, type ValidateOptions } from './validate.ts';

const TOOLS: ValidateOptions = { tools: ['http_get', 'json_path', 'template'] };

/** Seed 004 §3, verbatim. */
const SEED_EXAMPLE = {
  version: '1',
  entry: 'ingest',
  nodes: [
    { id: 'ingest', type: 'tool', name: 'FetchDocs', config: { url: 'https://…' } },
    {
      id: 'summarize',
      type: 'llm',
      name: 'Summarize',
      config: { provider: 'openai', model: 'gpt-4o-mini', system: 'Be concise' },
      inputs: { text: '{{node.ingest.output.content}}' },
    },
    { id: 'decide', type: 'router', name: 'Decider', config: { rule: "len(text)>2000 ? 'deep' : 'shallow'" }, inputs: { text: '{{node.summarize.output}}' } },
    { id: 'deep', type: 'llm', name: 'DeepAnalysis', config: { provider: 'anthropic', model: 'claude-3.5-sonnet' }, inputs: { text: '{{node.summarize.output}}' } },
  ],
  edges: [
    { from: 'ingest', to: 'summarize' },
    { from: 'summarize', to: 'decide' },
    { from: 'decide', to: 'deep', when: "branch=='deep'" },
  ],
  limits: { maxNodes: 20, maxTokens: 150000, timeoutSeconds: 120 },
};

type Doc = Record<string, any>;
const clone = (): Doc => structuredClone(SEED_EXAMPLE);

function errorsOf(doc: unknown, options: ValidateOptions = TOOLS): string[] {
  const result = validateDocument(doc, options);
  return result.ok ? [] : result.issues.map(formatIssue);
}

describe('workflow validation: structure', () => {
  it('accepts the seed example as written', () => {
    expect(errorsOf(SEED_EXAMPLE)).toEqual([]);
  });

  it('accepts every extension: inputs, retry, fallbacks, budget, labels, cache, parallel', () => {
    const doc = clone();
    doc.inputs = { topic: { description: 'What to research', default: 'otel' } };
    doc.budget = { hardUsd: 2, softUsd: 1 };
    doc.parallel = true;
    Object.assign(doc.nodes[1], {
      retry: { maxAttempts: 4, initialDelayMs: 10 },
      fallbacks: [{ provider: 'anthropic', model: 'claude-3-5-haiku' }],
      cache: false,
      semantic_label: 'summarise',
    });
    doc.nodes[0].config.url = 'https://example.com/{{input.topic}}';
    expect(errorsOf(doc)).toEqual([]);
  });

  it('reports every structural error at once, each with its exact path', () => {
    const doc = {
      version: 2,
      entry: 'a',
      extra: true,
      nodes: [
        { id: 'a', type: 'llm', config: { provider: 'oai' }, inputs: { t: 'x' } },
        { id: 'b', type: 'tool', config: { tool: 'json_path' }, cache: true },
        { id: 'c', type: 'router', config: {}, retry: { maxAttempts: 1 } },
        { id: 'd', type: 'llm', config: { provider: 'openai', model: 'm', temperature: 3 }, inputs: { t: 'x' }, fallbacks: [{ provider: 'openai' }] },
      ],
      edges: [{ from: 'a' }],
      limits: { maxNodes: 0, speed: 1 },
    };
    expect(errorsOf(doc)).toEqual(
      expect.arrayContaining([
        'version: must be "1"',
        'extra: unknown property',
        'nodes[0].config.model: required',
        'nodes[0].config.provider: "oai" is not one of: openai, anthropic',
        'nodes[1].config.path: required',
        'nodes[1].config.source: required',
        'nodes[1].cache: not allowed on tool nodes',
        'nodes[2].config.rule: required',
        'nodes[2].retry: not allowed on router nodes',
        'nodes[3].config.temperature: must be <= 2',
        'nodes[3].fallbacks[0].model: required',
        'edges[0].to: required',
        'limits.maxNodes: must be >= 1',
        'limits.speed: unknown property',
        // The edge without `to` leaves b, c and d unreachable: semantic checks still run.
        "nodes[1]: 'b' is not reachable from entry 'a'",
        "nodes[2]: 'c' is not reachable from entry 'a'",
        "nodes[3]: 'd' is not reachable from entry 'a'",
      ]),
    );
    expect(errorsOf(doc)).toHaveLength(17);
  });

  it('names an unknown node type with the allowed ones', () => {
    const doc = clone();
    doc.nodes[2].type = 'agent';
    expect(errorsOf(doc)).toContain('nodes[2].type: "agent" is not one of: llm, tool, router');
  });

  it('requires identifiers for ids and input names', () => {
    const doc = clone();
    doc.inputs = { 'two words': {} };
    doc.nodes[0].id = '9lives';
    const errors = errorsOf(doc);
    expect(errors).toContain('inputs.two words: name must be an identifier (letters, digits, _ or -, not starting with a digit or -)');
    expect(errors).toContain('nodes[0].id: must be an identifier (letters, digits, _ or -, not starting with a digit or -)');
  });
});

describe('workflow validation: semantics', () => {
  it('rejects duplicate ids, naming both places', () => {
    const doc = clone();
    doc.nodes[3].id = 'summarize';
    expect(errorsOf(doc)).toContain("nodes[3].id: duplicate id 'summarize' (first used by nodes[1])");
  });

  it('rejects an unknown entry', () => {
    const doc = clone();
    doc.entry = 'start';
    expect(errorsOf(doc)).toContain("entry: unknown node 'start'");
  });

  it('rejects dangling edges at both ends', () => {
    const doc = clone();
    doc.edges.push({ from: 'ghost', to: 'deep' }, { from: 'deep', to: 'nowhere' });
    const errors = errorsOf(doc);
    expect(errors).toContain("edges[3].from: unknown node 'ghost'");
    expect(errors).toContain("edges[4].to: unknown node 'nowhere'");
  });

  it('rejects a cycle and names it in order', () => {
    const doc = clone();
    doc.edges.push({ from: 'deep', to: 'summarize' });
    expect(errorsOf(doc)).toContain('edges: cycle summarize → decide → deep → summarize');
  });

  it('rejects a self-loop as a cycle', () => {
    const doc = clone();
    doc.edges.push({ from: 'deep', to: 'deep' });
    expect(errorsOf(doc)).toContain('edges: cycle deep → deep');
  });

  it('rejects nodes not reachable from the entry', () => {
    const doc = clone();
    doc.nodes.push({ id: 'orphan', type: 'tool', config: { tool: 'template', template: 'x' } });
    expect(errorsOf(doc)).toContain("nodes[4]: 'orphan' is not reachable from entry 'ingest'");
  });

  it('rejects template references to unknown nodes, non-upstream nodes, undeclared inputs and bad syntax', () => {
    const doc = clone();
    doc.inputs = { topic: {} };
    doc.nodes[1].inputs = {
      a: '{{node.missing.output}}',
      b: 'see {{node.deep.output}}',
      c: '{{input.nope}} and {{input.topic}}',
      d: '{{nodes.ingest}}',
      e: ['{{node.summarize.output}}'],
    };
    const errors = errorsOf(doc);
    expect(errors).toEqual(
      expect.arrayContaining([
        "nodes[1].inputs.a: {{node.missing.output}}: unknown node 'missing'",
        "nodes[1].inputs.b: {{node.deep.output}}: node 'deep' is not upstream of 'summarize'",
        "nodes[1].inputs.c: {{input.nope}}: input 'nope' is not declared in inputs",
        'nodes[1].inputs.d: {{nodes.ingest}} is not a reference (expected node.<id>.output[.<path>] or input.<name>)',
        "nodes[1].inputs.e[0]: {{node.summarize.output}}: node 'summarize' is not upstream of 'summarize'",
      ]),
    );
    expect(errors).toHaveLength(5);
  });

  it('checks templates inside config too (prompt, url)', () => {
    const doc = clone();
    doc.nodes[0].config.url = 'https://x/{{input.q}}';
    doc.nodes[3].config.prompt = 'Analyse {{node.ghost.output.text}}';
    const errors = errorsOf(doc);
    expect(errors).toContain("nodes[0].config.url: {{input.q}}: input 'q' is not declared in inputs");
    expect(errors).toContain("nodes[3].config.prompt: {{node.ghost.output.text}}: unknown node 'ghost'");
  });

  it('rejects a router rule that does not parse, calls an unknown function or reads an unknown variable', () => {
    const parse = clone();
    parse.nodes[2].config.rule = "len(text > 2000 ? 'deep'";
    expect(errorsOf(parse).join('\n')).toMatch(/^nodes\[2\]\.config\.rule: does not parse: /m);

    const fn = clone();
    fn.nodes[2].config.rule = "size(text) > 2 ? 'a' : 'b'";
    expect(errorsOf(fn)).toContain(
      "nodes[2].config.rule: unknown function 'size' (known: len, words, lower, upper, trim, contains, startsWith, endsWith, number, string)",
    );

    const variable = clone();
    variable.nodes[2].config.rule = "len(body) > 2 ? 'a' : 'b'";
    expect(errorsOf(variable)).toContain("nodes[2].config.rule: unknown variable 'body' (the router's inputs: text)");
  });

  it('rejects edge conditions that do not parse or read what the source does not set', () => {
    const doc = clone();
    doc.edges[2].when = "branch=='deep' &&";
    doc.edges[0].when = "branch == 'x'";
    doc.edges[1].when = 'result > 2';
    const errors = errorsOf(doc);
    expect(errors.join('\n')).toMatch(/^edges\[2\]\.when: does not parse: /m);
    expect(errors).toContain("edges[0].when: 'branch' is only set by router nodes ('ingest' is a tool node)");
    expect(errors).toContain("edges[1].when: unknown variable 'result' (known: branch, output)");
  });

  it('rejects limits and budgets above the configured maxima, which are configurable', () => {
    const doc = clone();
    doc.limits = { maxNodes: 201, maxTokens: 2_000_001, timeoutSeconds: 3601 };
    doc.budget = { hardUsd: 1000.5, softUsd: 2000 };
    expect(errorsOf(doc)).toEqual([
      'limits.maxNodes: 201 is above the configured maximum 200',
      'limits.maxTokens: 2000001 is above the configured maximum 2000000',
      'limits.timeoutSeconds: 3601 is above the configured maximum 3600',
      'budget.hardUsd: 1000.5 is above the configured maximum 1000',
      'budget.softUsd: 2000 is above the configured maximum 1000',
      'budget.softUsd: must be below budget.hardUsd (1000.5)',
    ]);
    const seedLimits = clone();
    expect(errorsOf(seedLimits, { ...TOOLS, maxima: { maxNodes: 10 } })).toEqual(['limits.maxNodes: 20 is above the configured maximum 10']);
  });

  it('rejects unknown tools, naming the known ones', () => {
    const doc = clone();
    doc.nodes[0].config = { tool: 'csv_stats', csv: 'a,b' };
    expect(errorsOf(doc)).toEqual(["nodes[0].config.tool: unknown tool 'csv_stats' (known: http_get, json_path, template)"]);
    expect(errorsOf(doc, { tools: [...TOOLS.tools, 'csv_stats'] })).toEqual([]);
  });

  it('rejects a tool input that is also a config argument', () => {
    const doc = clone();
    doc.nodes[0].inputs = { url: 'https://other' };
    expect(errorsOf(doc)).toEqual(["nodes[0].inputs.url: 'url' is also set in config"]);
  });

  it('rejects an llm node with neither prompt nor inputs, and a fallback equal to the node itself', () => {
    const doc = clone();
    delete doc.nodes[3].inputs;
    doc.nodes[1].fallbacks = [{ provider: 'openai', model: 'gpt-4o-mini' }];
    expect(errorsOf(doc)).toEqual([
      'nodes[1].fallbacks[0]: same provider and model as the node itself',
      'nodes[3].config.prompt: required when the node has no inputs (they would form the prompt)',
    ]);
  });

  it('reports structural and semantic problems together', () => {
    const doc = clone();
    delete doc.nodes[1].config.model;
    doc.entry = 'nope';
    expect(errorsOf(doc)).toEqual(['nodes[1].config.model: required', "entry: unknown node 'nope'"]);
  });

  it('survives documents of the wrong shape', () => {
    expect(errorsOf(null)).toEqual(['(document): must be object']);
    expect(errorsOf({ version: '1', entry: 3, nodes: 'x', edges: [null] })).toEqual([
      'entry: must be string',
      'nodes: must be array',
      'edges[0]: must be object',
    ]);
  });
});

describe('loadDocument', () => {
  it('reads a file and throws every problem in one error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowtrace-spec-'));
    try {
      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ ...clone(), entry: 'x', limits: { maxNodes: 999 } }));
      const error = await loadDocument(bad, TOOLS).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WorkflowValidationError);
      expect((error as WorkflowValidationError).issues.map(formatIssue)).toEqual([
        "entry: unknown node 'x'",
        'limits.maxNodes: 999 is above the configured maximum 200',
      ]);
      expect((error as Error).message).toContain(`${bad}: invalid workflow (2 errors)`);

      const notJson = join(dir, 'broken.json');
      await writeFile(notJson, '{"version": "1",');
      await expect(loadDocument(notJson, TOOLS)).rejects.toThrow(/\(document\): not valid JSON/);

      const good = join(dir, 'good.json');
      await writeFile(good, JSON.stringify(SEED_EXAMPLE));
      expect((await loadDocument(good, TOOLS)).entry).toBe('ingest');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
