// A stand-in OTLP/HTTP collector that answers every request 200 (an empty
// ExportTraceServiceResponse) and keeps what it received, for tests and benchmarks that
// check what an exporter sent.
import type { RequestListener } from 'node:http';
import { closeGracefully, listen } from '../../core/http-server.ts';

export interface ReceivedExport {
  path: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

export interface OtlpSink {
  /** `http://127.0.0.1:<port>`: the base an OTLP exporter appends `/v1/traces` to. */
  url: string;
  /** Every request, in arrival order. */
  received: ReceivedExport[];
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const received: ReceivedExport[] = [];
  const keep: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  };
  const { server, url } = await listen(keep, { host: '127.0.0.1', port: 0 }, 'the OTLP sink');
  return { url, received, close: () => closeGracefully(server) };
}
