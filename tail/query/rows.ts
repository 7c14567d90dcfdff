// Parameterised reads: user input only ever reaches ClickHouse as `{name:Type}` values,
// never spliced into the SQL text, and every read runs with the engine's readonly = 1.
import type { SpanStore } from '../../storage/store.ts';

export type Params = Record<string, string>;

export async function selectRows<T>(store: SpanStore, sql: string, params: Params = {}): Promise<T[]> {
  const result = await store.execute({ sql, params, format: 'JSONEachRow', readOnly: true });
  const rows: T[] = [];
  for (const line of result.body.toString('utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line) as T);
  return rows;
}

/** A ClickHouse array literal for an `Array(String)` parameter (values are escaped, the literal is a parameter value). */
export function stringArrayParam(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(',')}]`;
}
