// The body of a run worker thread: runs the orders it is sent with the executor, each
// with its own abort controller, and reports every outcome. Its spans leave through its
// own OTLP exporter.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, RunWorkerData, ToWorker } from './messages.ts';
import { createWorkflowRuntime, executeRun } from './runtime.ts';

const port = parentPort!;
const data = workerData as RunWorkerData;
const runtime = createWorkflowRuntime(data.runtime);
const running = new Map<string, AbortController>();
const send = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'run': {
      const controller = new AbortController();
      running.set(message.run.runId, controller);
      executeRun(runtime, message.run, controller.signal, data).then(
        (outcome) => send({ type: 'done', runId: message.run.runId, outcome }),
        (err: Error) => send({ type: 'crashed', runId: message.run.runId, error: err.message ?? String(err) }),
      ).finally(() => running.delete(message.run.runId));
      break;
    }
    case 'interrupt':
      runtime.spanFilter?.interrupt(message.runId);
      running.get(message.runId)?.abort();
      break;
    case 'cancel':
      running.get(message.runId)?.abort();
      break;
    case 'close':
      runtime.telemetry.shutdown().finally(() => {
        send({ type: 'closed' });
        port.close();
      });
      break;
  }
});
send({ type: 'ready' });
