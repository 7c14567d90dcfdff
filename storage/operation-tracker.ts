import { StoreClosedError } from './store.ts';

/**
 * Counts a store's running operations so close() can let them finish before the
 * engine or connection is released, and refuses operations started after close().
 */
export class OperationTracker {
  private readonly running = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  /** Runs `operation` (unless closing), mapping its errors through `mapError`. */
  run<T>(operation: () => Promise<T>, mapError: (err: unknown) => unknown = (err) => err): Promise<T> {
    if (this.closing) return Promise.reject(new StoreClosedError());
    const promise = operation().catch((err: unknown) => {
      throw mapError(err);
    });
    this.running.add(promise);
    const forget = () => this.running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Waits for running operations, then calls `release` once; later calls return the same promise. */
  close(release: () => void | Promise<void>): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.running]);
      await release();
    })();
    return this.closing;
  }
}
