// Prompt directives let a test or a demo workflow steer the simulated model from inside
// the prompt (README: "Directives"), e.g. `[[sim:answer=deep]]` makes a router pick "deep".

export interface Directives {
  /** The exact answer text. */
  answer?: string;
  /** Options one of which is answered, picked by the prompt hash. */
  choose?: string[];
  /** Length of the generated answer in tokens (4 characters each). */
  tokens?: number;
  /** Reasoning tokens reported by reasoning models / thinking requests. */
  reasoning?: number;
}

export class DirectiveError extends Error {
  override name = 'DirectiveError';
}

const MARKER = '[[sim:';
const DIRECTIVE = /\[\[sim:([A-Za-z_]+)=([\s\S]*?)\]\]/g;
const MAX_TOKENS_DIRECTIVE = 1_000_000;

function count(name: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > MAX_TOKENS_DIRECTIVE) {
    throw new DirectiveError(`Simulator directive [[sim:${name}=${raw}]]: expected an integer between 0 and ${MAX_TOKENS_DIRECTIVE}.`);
  }
  return n;
}

/** Reads every directive in `text` into `into`; a later directive of the same name wins. */
export function readDirectives(text: string, into: Directives): void {
  if (!text.includes(MARKER)) return;
  for (const [, name, value] of text.matchAll(DIRECTIVE)) {
    switch (name) {
      case 'answer':
        into.answer = value;
        break;
      case 'choose': {
        const options = value.split('|').map((o) => o.trim()).filter((o) => o.length > 0);
        if (options.length === 0) throw new DirectiveError('Simulator directive [[sim:choose=...]]: expected options separated by "|".');
        into.choose = options;
        break;
      }
      case 'tokens':
        into.tokens = count(name, value);
        break;
      case 'reasoning':
        into.reasoning = count(name, value);
        break;
      default:
        throw new DirectiveError(`Unknown simulator directive [[sim:${name}=...]]; known: answer, choose, tokens, reasoning.`);
    }
  }
}
