// telemetry.forceFlush() resolves only when every finished span has been delivered, also
// the ones an export started by the batch timer is still carrying — what lets a caller
// (the demo, these tests) read runs back right after flushing.
import type { RequestListener, Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeGracefully, listen } from '../../core/http-server.ts';
import { createTelemetry } from '../../executor/index.ts';
import { DEFAULT_SPAN_LIMITS, decodeExportTraceRequest } from '../../ingest/otlp/index.ts';

const ANSWER_AFTER_MS = 400;
let server: Server;
let url: string;
let delivered = 0;
const slowCollector: RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    // A slow collector: the spans count as delivered when the answer goes out.
    setTimeout(() => {
      delivered += decodeExportTraceRequest(Buffer.concat(chunks), 'protobuf', { projectId: 'test', ...DEFAULT_SPAN_LIMITS }).spans.length;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    }, ANSWER_AFTER_MS);
  });
};

beforeAll(async () => {
  ({ server, url } = await listen(slowCollector, { host: '127.0.0.1', port: 0 }, 'the slow collector'));
});
afterAll(() => closeGracefully(server));

describe('telemetry.forceFlush', () => {
  it('waits for an export the batch timer already started', async () => {
    const telemetry = createTelemetry({ endpoint: url, serviceName: 'flush-test' });
    try {
      await telemetry.withRun({ workflowName: 'flush' }, async () => {
        await telemetry.withStep({ nodeId: 'a', nodeType: 'tool' }, async () => {});
      });
      // Past the 200 ms batch delay: the export is on its way, the processor's buffer is empty.
      await delay(300);
      expect(delivered).toBe(0);
      await telemetry.forceFlush();
      expect(delivered).toBe(2);
    } finally {
      await telemetry.shutdown();
    }
  });
});
