// Parameterised reads: user input only ever reaches ClickHouse as `{name:Type}` values,
// never spliced into the SQL text, and every read runs with the engine's readonly = 1.
import type { SpanStore } from '../../storage/store.ts';

export type Params = Record<string, string>;

/**
 * For statements that read span_facts with FINAL, as its views do (storage/migrations/010):
 * duplicates of a span share its day partition, so FINAL need not merge across days, and
 * conditions on the sorting key (project, run, trace, span) may filter before FINAL.
 */
export const SPAN_FACTS_FINAL: Readonly<Record<string, string>> = {
  do_not_merge_across_partitions_select_final: '1',
  optimize_move_to_prewhere_if_final: '1',
};

export async function selectRows<T>(store: SpanStore, sql: string, params: Params = {}, settings?: Readonly<Record<string, string>>): Promise<T[]> {
  const result = await store.execute({ sql, params, settings, format: 'JSONEachRow', readOnly: true });
  const rows: T[] = [];
  for (const line of result.body.toString('utf8').split('\n')) if (line !== '') rows.push(JSON.parse(line) as T);
  return rows;
}

/**
 * A list of strings as an SQL expression (for `column IN <expression>`). The list travels
 * as one JSON string parameter that ClickHouse parses, which both the embedded engine and
 * the HTTP client pass through verbatim.
 */
export function stringList(name: string, values: Iterable<string>, params: Params): string {
  params[name] = JSON.stringify([...values]);
  return `JSONExtract({${name}:String}, 'Array(String)')`;
}
