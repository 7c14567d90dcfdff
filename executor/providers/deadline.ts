// A call's own abort signal, linked to the caller's (cancellation) and to an optional
// deadline that also covers the streamed body — the SDKs' timeout stops at the headers.
// The SDKs never remove the listener they add to the signal they are given, so they get
// this per-call signal, never a long-lived run signal.
import type { AbortState } from './errors.ts';

export interface CallScope extends AbortState {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function callScope(parent: AbortSignal, timeoutMs: number | undefined): CallScope {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
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
