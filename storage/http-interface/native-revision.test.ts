import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChdbStore } from '../chdb/chdb-store.ts';
import { nativeForRevision, NativeFormatError } from './native-revision.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowtrace-native-'));
const store = new ChdbStore({ dataDir: dir });
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const native = async (sql: string) => (await store.execute({ sql, format: 'Native' })).body;
const str = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const BLOCK_INFO = Buffer.from([1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0]);

describe('nativeForRevision', () => {
  it('adds BlockInfo and the custom-serialization flag around unchanged column data', async () => {
    const body = await native("SELECT toUInt8(7) AS a, 'hi' AS b");
    // Revision 0 as the engine writes it: 2 columns, 1 row, then name, type, data per column.
    expect(body).toEqual(Buffer.concat([Buffer.from([2, 1]), str('a'), str('UInt8'), Buffer.from([7]), str('b'), str('String'), str('hi')]));
    expect(nativeForRevision(body, 54460)).toEqual(
      Buffer.concat([BLOCK_INFO, Buffer.from([2, 1]), str('a'), str('UInt8'), Buffer.from([0, 7]), str('b'), str('String'), Buffer.from([0]), str('hi')]),
    );
    // Before revision 54454 there is no flag.
    expect(nativeForRevision(body, 54453)).toEqual(Buffer.concat([BLOCK_INFO, body]));
    expect(nativeForRevision(body, 0)).toBe(body);
  });

  it('finds column boundaries in nested and LowCardinality types', async () => {
    const sql =
      "SELECT map(toLowCardinality('k'), 'v') AS m, [toNullable('x'), NULL] AS a, tuple(1, 'y') AS t, toDecimal128('1.5', 12) AS d, toLowCardinality(toString(number)) AS lc FROM numbers(3)";
    const body = await native(sql);
    const converted = nativeForRevision(body, 54460);
    // Each of the 5 columns gains one flag byte, each block gains BlockInfo.
    const blocks = countBlocks(body);
    expect(converted.length).toBe(body.length + blocks * BLOCK_INFO.length + blocks * 5);
    expect(converted.subarray(0, BLOCK_INFO.length)).toEqual(BLOCK_INFO);
  });

  it('refuses column types it cannot walk, naming the type', async () => {
    const body = await native("SELECT CAST(1 AS Dynamic) AS d SETTINGS allow_experimental_dynamic_type = 1");
    expect(() => nativeForRevision(body, 54460)).toThrow(NativeFormatError);
    expect(() => nativeForRevision(body, 54460)).toThrow(/does not support columns of type Dynamic/);
  });

  it('reports truncated data instead of reading past it', async () => {
    const body = await native("SELECT 'abcdef' AS s");
    expect(() => nativeForRevision(body.subarray(0, body.length - 2), 54460)).toThrow('Native data ended inside a column');
  });
});

/** Blocks of a revision-0 body, counted through the converter's own BlockInfo output. */
function countBlocks(body: Buffer): number {
  const converted = nativeForRevision(body, 1);
  return (converted.length - body.length) / BLOCK_INFO.length;
}
