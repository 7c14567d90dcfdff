// A run worker thread's entry. Module loader hooks do not reach worker threads on Node 20,
// so the worker registers tsx itself before loading its TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./run-worker.ts');
