// A ClickHouse-server-compatible target for several `flowtrace process` instances: the
// embedded engine (chdb) on a fresh data directory, migrated, behind the ClickHouse HTTP
// interface with writes allowed. A control endpoint makes it refuse inserts on demand, the
// way a ClickHouse outage looks to the processors (an HTTP error for every INSERT).
// Run: node --import tsx clickhouse-harness-main.ts <dataDir>; prints one JSON line when ready.
import type { RequestListener } from 'node:http';
import { listen } from '../../../core/http-server.ts';
import { ChdbStore } from '../../../storage/chdb/chdb-store.ts';
import { ClickHouseHttpInterface } from '../../../storage/http-interface/clickhouse-http-interface.ts';
import { StoreQueryError, type SpanStore, type StatementRequest } from '../../../storage/store.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: clickhouse-harness-main.ts <dataDir>');

const store = new ChdbStore({ dataDir });
await store.migrate();

let refuseInserts = false;
let refused = 0;
const faultyStore: SpanStore = {
  migrate: () => store.migrate(),
  insertSpans: (spans, token) => store.insertSpans(spans, token),
  insertSpanRows: (batch, token) => store.insertSpanRows(batch, token),
  query: (sql, format) => store.query(sql, format),
  execute: (request: StatementRequest) => {
    if (refuseInserts && request.data !== undefined) {
      refused++;
      // 242 TABLE_IS_READ_ONLY: what a server answers while it cannot take writes.
      return Promise.reject(new StoreQueryError('Code: 242. DB::Exception: inserts refused by the test harness. (TABLE_IS_READ_ONLY)', 242));
    }
    return store.execute(request);
  },
  close: () => store.close(),
};

const clickhouse = new ClickHouseHttpInterface(faultyStore, { port: 0, readonly: false, systemTables: 'allow' });
const { url } = await clickhouse.start();

const controlHandler: RequestListener = (req, res) => {
  const path = req.url ?? '';
  if (req.method === 'POST' && path === '/inserts/refuse') refuseInserts = true;
  else if (req.method === 'POST' && path === '/inserts/accept') refuseInserts = false;
  else if (!(req.method === 'GET' && path === '/state')) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ refuseInserts, refused }));
};
const { server: control, url: controlUrl } = await listen(controlHandler, { host: '127.0.0.1', port: 0 }, 'the harness control endpoint');

process.stdout.write(`${JSON.stringify({ ready: true, url, controlUrl })}\n`);

const shutdown = () => {
  control.close();
  clickhouse
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
