// The expression language of router rules and edge conditions: Jexl (JavaScript-like
// syntax, ternaries, comparisons, member access) with a fixed set of functions. Jexl
// evaluates its own AST and can only call the functions registered here, so a workflow
// file can never run code (no eval, no Function).
import jexlModule from 'jexl';

const { Jexl } = jexlModule;

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The functions an expression may call. */
const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  /** Length of a string or array; other values are measured as JSON text. */
  len: (value) => (Array.isArray(value) ? value.length : text(value).length),
  words: (value) => text(value).split(/\s+/).filter(Boolean).length,
  lower: (value) => text(value).toLowerCase(),
  upper: (value) => text(value).toUpperCase(),
  trim: (value) => text(value).trim(),
  contains: (haystack, needle) =>
    Array.isArray(haystack) ? haystack.includes(needle) : text(haystack).includes(text(needle)),
  startsWith: (value, prefix) => text(value).startsWith(text(prefix)),
  endsWith: (value, suffix) => text(value).endsWith(text(suffix)),
  number: (value) => Number(value),
  string: (value) => text(value),
};

const language = new Jexl();
language.addFunctions(FUNCTIONS);

export const EXPRESSION_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

export interface CompiledExpression {
  source: string;
  /** Top-level variable names the expression reads. */
  variables: Set<string>;
  evaluate(variables: Record<string, unknown>): unknown;
}

/** Thrown for an expression that does not parse or uses something the language lacks. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

interface AstNode {
  type: string;
  value?: unknown;
  name?: string;
  pool?: string;
  from?: AstNode;
  relative?: boolean;
}

function walk(node: unknown, visit: (node: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const candidate = node as AstNode;
  if (typeof candidate.type === 'string') visit(candidate);
  for (const child of Object.values(node)) walk(child, visit);
}

/** Parses `source` and checks that it only calls known functions; throws ExpressionError. */
export function compileExpression(source: string): CompiledExpression {
  let compiled: ReturnType<typeof language.compile>;
  try {
    compiled = language.compile(source);
  } catch (err) {
    throw new ExpressionError(`does not parse: ${(err as Error).message}`);
  }
  const variables = new Set<string>();
  walk(compiled._getAst(), (node) => {
    if (node.type === 'FunctionCall' && node.pool === 'transforms') {
      throw new ExpressionError(`transforms ('|${String(node.name)}') are not supported`);
    }
    if (node.type === 'FunctionCall' && !(String(node.name) in FUNCTIONS)) {
      throw new ExpressionError(`unknown function '${String(node.name)}' (known: ${EXPRESSION_FUNCTIONS.join(', ')})`);
    }
    if (node.type === 'Identifier' && !node.from && !node.relative && typeof node.value === 'string') variables.add(node.value);
  });
  return {
    source,
    variables,
    evaluate(values) {
      try {
        return compiled.evalSync(values);
      } catch (err) {
        throw new ExpressionError(`'${source}' failed: ${(err as Error).message}`);
      }
    },
  };
}
