// A call's abort signal: the caller's (cancellation) joined with an optional deadline that
// also covers the streamed body — the SDKs' own timeout stops at the response headers.
import type { AbortState } from './errors.ts';

export interface CallScope extends AbortState {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function callScope(parent: AbortSignal, timeoutMs: number | undefined): CallScope {
  if (timeoutMs === undefined) {
    return {
      signal: parent,
      get cancelled() {
        return parent.aborted;
      },
      timedOut: false,
      dispose() {},
    };
  }
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`call exceeded ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get cancelled() {
      return parent.aborted;
    },
    get timedOut() {
      return timedOut && !parent.aborted;
    },
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
