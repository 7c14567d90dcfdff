// Tool lookup by name. A run sees the built-ins, the process-wide registrations made with
// registerTool(), and the tools passed to that run — later ones win.
import type { ToolFunction } from './types.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export class ToolRegistry {
  private readonly tools = new Map<string, ToolFunction>();

  constructor(...sources: Array<Iterable<[string, ToolFunction]> | Record<string, ToolFunction> | undefined>) {
    for (const source of sources) {
      if (!source) continue;
      const entries = Symbol.iterator in source ? (source as Iterable<[string, ToolFunction]>) : Object.entries(source);
      for (const [name, fn] of entries) this.register(name, fn);
    }
  }

  register(name: string, fn: ToolFunction): void {
    if (!NAME.test(name)) throw new TypeError(`tool name '${name}' must be an identifier (letters, digits, _ or -)`);
    if (typeof fn !== 'function') throw new TypeError(`tool '${name}' must be a function`);
    this.tools.set(name, fn);
  }

  get(name: string): ToolFunction | undefined {
    return this.tools.get(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  [Symbol.iterator](): Iterator<[string, ToolFunction]> {
    return this.tools.entries();
  }
}

/** Tools registered for every run of this process. */
export const registeredTools = new ToolRegistry();

/** Makes `fn` available to tool nodes as `config.tool: "<name>"` in every run of this process. */
export function registerTool(name: string, fn: ToolFunction): void {
  registeredTools.register(name, fn);
}
