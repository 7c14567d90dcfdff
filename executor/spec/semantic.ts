// Checks the schema cannot express: graph shape (duplicates, dangling edges, cycles,
// reachability), template references, expressions, limits against configured maxima.
// They read the document defensively so a structurally broken file still gets every
// other problem reported in the same pass.
import { compileExpression, ExpressionError } from './expression.ts';
import { childPath, type ValidationIssue } from './issues.ts';
import { forEachString, referencesIn, type TemplateRef } from './template.ts';

/** Upper bounds a workflow's own limits may not exceed (operator configuration). */
export interface LimitMaxima {
  maxNodes: number;
  maxTokens: number;
  timeoutSeconds: number;
  budgetUsd: number;
}

export const DEFAULT_LIMIT_MAXIMA: LimitMaxima = {
  maxNodes: 200,
  maxTokens: 2_000_000,
  timeoutSeconds: 3600,
  budgetUsd: 1000,
};

export interface SemanticOptions {
  maxima: LimitMaxima;
  /** Tool names a tool node may use (built-ins and registered). */
  tools: ReadonlySet<string>;
}

type Json = Record<string, unknown>;

interface NodeView {
  index: number;
  id: string;
  type: unknown;
  raw: Json;
}

interface EdgeView {
  index: number;
  from: string;
  to: string;
  when?: string;
}

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The default tool of a tool node without `tool` (seed 004's FetchDocs node only has a url). */
export const DEFAULT_TOOL = 'http_get';

class Checker {
  readonly issues: ValidationIssue[] = [];
  readonly nodes = new Map<string, NodeView>();
  readonly edges: EdgeView[] = [];
  readonly children = new Map<string, string[]>();

  constructor(
    private readonly doc: Json,
    private readonly options: SemanticOptions,
  ) {}

  report(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  run(): ValidationIssue[] {
    this.collectNodes();
    this.collectEdges();
    this.checkEntry();
    const acyclic = this.checkCycles();
    if (acyclic) this.checkReachability();
    const ancestors = acyclic ? this.ancestors() : undefined;
    for (const node of this.nodes.values()) this.checkNode(node, ancestors);
    this.checkEdgeConditions();
    this.checkLimits();
    return this.issues;
  }

  private collectNodes(): void {
    asArray(this.doc.nodes).forEach((raw, index) => {
      if (!isObject(raw) || typeof raw.id !== 'string') return;
      const first = this.nodes.get(raw.id);
      if (first) {
        this.report(childPath(childPath('nodes', index), 'id'), `duplicate id '${raw.id}' (first used by nodes[${first.index}])`);
        return;
      }
      this.nodes.set(raw.id, { index, id: raw.id, type: raw.type, raw });
      this.children.set(raw.id, []);
    });
  }

  private collectEdges(): void {
    const seen = new Map<string, number>();
    asArray(this.doc.edges).forEach((raw, index) => {
      if (!isObject(raw) || typeof raw.from !== 'string' || typeof raw.to !== 'string') return;
      const path = childPath('edges', index);
      let dangling = false;
      for (const end of ['from', 'to'] as const) {
        if (!this.nodes.has(raw[end] as string)) {
          this.report(childPath(path, end), `unknown node '${String(raw[end])}'`);
          dangling = true;
        }
      }
      if (dangling) return;
      const key = `${raw.from}\0${raw.to}`;
      const previous = seen.get(key);
      if (previous !== undefined) {
        this.report(path, `duplicate edge ${raw.from} → ${raw.to} (also edges[${previous}])`);
        return;
      }
      seen.set(key, index);
      this.edges.push({ index, from: raw.from, to: raw.to, when: typeof raw.when === 'string' ? raw.when : undefined });
      this.children.get(raw.from)!.push(raw.to);
    });
  }

  private checkEntry(): void {
    const entry = this.doc.entry;
    if (typeof entry === 'string' && !this.nodes.has(entry)) this.report('entry', `unknown node '${entry}'`);
  }

  /** Reports each cycle once, naming its nodes in order; true when the graph is acyclic. */
  private checkCycles(): boolean {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const reported = new Set<string>();
    const visit = (id: string): void => {
      state.set(id, 'open');
      stack.push(id);
      for (const next of this.children.get(id) ?? []) {
        if (state.get(next) === 'open') {
          const cycle = stack.slice(stack.indexOf(next));
          const key = [...cycle].sort().join('\0');
          if (!reported.has(key)) {
            reported.add(key);
            this.report('edges', `cycle ${[...cycle, next].join(' → ')}`);
          }
        } else if (!state.has(next)) {
          visit(next);
        }
      }
      stack.pop();
      state.set(id, 'done');
    };
    for (const id of this.nodes.keys()) if (!state.has(id)) visit(id);
    return reported.size === 0;
  }

  private checkReachability(): void {
    const entry = this.doc.entry;
    if (typeof entry !== 'string' || !this.nodes.has(entry)) return;
    const reached = new Set([entry]);
    const queue = [entry];
    while (queue.length) for (const next of this.children.get(queue.shift()!) ?? []) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
    for (const node of this.nodes.values()) {
      if (!reached.has(node.id)) this.report(childPath('nodes', node.index), `'${node.id}' is not reachable from entry '${entry}'`);
    }
  }

  /** For each node, every node it can be reached from. */
  private ancestors(): Map<string, Set<string>> {
    const parents = new Map<string, string[]>([...this.nodes.keys()].map((id) => [id, []]));
    for (const edge of this.edges) parents.get(edge.to)!.push(edge.from);
    const memo = new Map<string, Set<string>>();
    const of = (id: string): Set<string> => {
      let result = memo.get(id);
      if (result) return result;
      result = new Set();
      memo.set(id, result);
      for (const parent of parents.get(id) ?? []) {
        result.add(parent);
        for (const ancestor of of(parent)) result.add(ancestor);
      }
      return result;
    };
    for (const id of this.nodes.keys()) of(id);
    return memo;
  }

  private checkNode(node: NodeView, ancestors: Map<string, Set<string>> | undefined): void {
    const path = childPath('nodes', node.index);
    const config = isObject(node.raw.config) ? node.raw.config : {};
    for (const [field, value] of [['inputs', node.raw.inputs], ['config', config]] as const) {
      forEachString(value, childPath(path, field), (text, where) => {
        if (node.type === 'router' && where === childPath(childPath(path, 'config'), 'rule')) return;
        const refs = referencesIn(text, (err) => this.report(where, err.message));
        for (const ref of refs) this.checkReference(ref, node, where, ancestors);
      });
    }
    if (node.type === 'router' && typeof config.rule === 'string') this.checkRule(node, config.rule, path);
    if (node.type === 'tool') this.checkTool(node, config, path);
    if (node.type === 'llm') {
      this.checkFallbacks(node, config, path);
      const hasInputs = isObject(node.raw.inputs) && Object.keys(node.raw.inputs).length > 0;
      if (config.prompt === undefined && !hasInputs) {
        this.report(childPath(childPath(path, 'config'), 'prompt'), 'required when the node has no inputs (they would form the prompt)');
      }
    }
  }

  private checkReference(ref: TemplateRef, node: NodeView, where: string, ancestors: Map<string, Set<string>> | undefined): void {
    if (ref.kind === 'input') {
      const declared = isObject(this.doc.inputs) ? this.doc.inputs : {};
      if (!(ref.name in declared)) this.report(where, `{{${ref.source}}}: input '${ref.name}' is not declared in inputs`);
      return;
    }
    if (!this.nodes.has(ref.nodeId)) {
      this.report(where, `{{${ref.source}}}: unknown node '${ref.nodeId}'`);
    } else if (ancestors && !ancestors.get(node.id)?.has(ref.nodeId)) {
      this.report(where, `{{${ref.source}}}: node '${ref.nodeId}' is not upstream of '${node.id}'`);
    }
  }

  private checkRule(node: NodeView, rule: string, path: string): void {
    const where = childPath(childPath(path, 'config'), 'rule');
    const inputs = Object.keys(isObject(node.raw.inputs) ? node.raw.inputs : {});
    try {
      for (const variable of compileExpression(rule).variables) {
        if (!inputs.includes(variable)) {
          this.report(where, `unknown variable '${variable}' (the router's inputs: ${inputs.join(', ') || 'none'})`);
        }
      }
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      this.report(where, err.message);
    }
  }

  private checkTool(node: NodeView, config: Json, path: string): void {
    const tool = config.tool ?? DEFAULT_TOOL;
    if (typeof tool === 'string' && !this.options.tools.has(tool)) {
      this.report(childPath(childPath(path, 'config'), 'tool'), `unknown tool '${tool}' (known: ${[...this.options.tools].join(', ')})`);
    }
    // A tool receives its config and its inputs as one argument object.
    for (const name of Object.keys(isObject(node.raw.inputs) ? node.raw.inputs : {})) {
      if (name in config) this.report(childPath(childPath(path, 'inputs'), name), `'${name}' is also set in config`);
    }
  }

  private checkFallbacks(node: NodeView, config: Json, path: string): void {
    asArray(node.raw.fallbacks).forEach((target, index) => {
      if (isObject(target) && target.provider === config.provider && target.model === config.model) {
        this.report(childPath(childPath(path, 'fallbacks'), index), 'same provider and model as the node itself');
      }
    });
  }

  private checkEdgeConditions(): void {
    for (const edge of this.edges) {
      if (edge.when === undefined) continue;
      const where = childPath(childPath('edges', edge.index), 'when');
      const source = this.nodes.get(edge.from)!;
      try {
        for (const variable of compileExpression(edge.when).variables) {
          if (variable === 'branch' && source.type !== 'router') {
            this.report(where, `'branch' is only set by router nodes ('${edge.from}' is a ${String(source.type)} node)`);
          } else if (variable !== 'branch' && variable !== 'output') {
            this.report(where, `unknown variable '${variable}' (known: branch, output)`);
          }
        }
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        this.report(where, err.message);
      }
    }
  }

  private checkLimits(): void {
    const { maxima } = this.options;
    const limits = isObject(this.doc.limits) ? this.doc.limits : {};
    for (const key of ['maxNodes', 'maxTokens', 'timeoutSeconds'] as const) {
      const value = limits[key];
      if (typeof value === 'number' && value > maxima[key]) {
        this.report(childPath('limits', key), `${value} is above the configured maximum ${maxima[key]}`);
      }
    }
    const budget = isObject(this.doc.budget) ? this.doc.budget : {};
    for (const key of ['hardUsd', 'softUsd'] as const) {
      const value = budget[key];
      if (typeof value === 'number' && value > maxima.budgetUsd) {
        this.report(childPath('budget', key), `${value} is above the configured maximum ${maxima.budgetUsd}`);
      }
    }
    if (typeof budget.softUsd === 'number' && typeof budget.hardUsd === 'number' && budget.softUsd >= budget.hardUsd) {
      this.report('budget.softUsd', `must be below budget.hardUsd (${budget.hardUsd})`);
    }
  }
}

/** Every semantic problem of a workflow document (which may also have structural ones). */
export function semanticIssues(doc: unknown, options: SemanticOptions): ValidationIssue[] {
  if (!isObject(doc)) return [];
  return new Checker(doc, options).run();
}
