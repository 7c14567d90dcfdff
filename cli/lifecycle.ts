// How the long-running commands end: on SIGINT or SIGTERM they finish what is in flight
// and stop; a second signal means the user does not want to wait.

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Exit code for giving up on a graceful stop (128 + SIGINT, what shells report for Ctrl-C). */
export const FORCED_EXIT_CODE = 130;

export interface UntilSignalOptions {
  /** Written to stdout when the first signal arrives, e.g. what is being finished. */
  stopping?: (signal: NodeJS.Signals) => string;
  /** Written to stderr when a second signal ends the process without waiting. */
  forced?: (signal: NodeJS.Signals) => string;
}

/**
 * Waits for SIGINT or SIGTERM, then runs `stop`. Resolves once it has finished; a failed
 * stop is reported on stderr and leaves exit code 1. A second signal while stopping exits
 * at once with FORCED_EXIT_CODE.
 */
export async function untilSignal(stop: () => Promise<void>, options: UntilSignalOptions = {}): Promise<void> {
  let received: NodeJS.Signals | undefined;
  const first = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        if (options.forced) process.stderr.write(`${options.forced(signal)}\n`);
        process.exit(FORCED_EXIT_CODE);
      }
      received = signal;
      resolve(signal);
    };
    for (const signal of SIGNALS) process.on(signal, onSignal);
  });
  const signal = await first;
  if (options.stopping) process.stdout.write(`${options.stopping(signal)}\n`);
  try {
    await stop();
  } catch (err) {
    process.stderr.write(`flowtrace: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
