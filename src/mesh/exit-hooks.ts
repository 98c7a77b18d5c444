/**
 * @module
 * Last-resort cleanup when this process goes away: kill the children we started and remove
 * their temp dirs. Normal shutdown goes through each handle's `stop()`; this catches a test
 * worker that crashes, an uncaught exception, or Ctrl-C on `tankworld mesh up`, which would
 * otherwise leave orphaned servers holding ports and files.
 */

// Module state on purpose: process exit is process-wide, so the list of what to undo at exit
// must be too. It holds only synchronous undo functions and is emptied as handles stop.
const registry = { cleanups: new Set<() => void>(), hooked: false };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function runAll(): void {
  // Newest first: a child is registered after its temp dir, so it dies before the dir goes.
  for (const cleanup of [...registry.cleanups].reverse()) {
    registry.cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Exiting anyway: one failed cleanup must not stop the others.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  // When nobody else handles the signal, restore the default action so the process still
  // dies of it (a handler alone would keep it alive).
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function hook(): void {
  if (registry.hooked) return;
  registry.hooked = true;
  process.on('exit', runAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/**
 * Registers a synchronous undo step to run if the process exits before it is removed.
 * Returns the function that removes it (call it once the resource was released normally).
 *
 * @example
 * ```ts
 * const forget = onProcessExit(() => process.kill(-child.pid, 'SIGKILL'));
 * await stopChildGracefully();
 * forget();
 * ```
 */
export function onProcessExit(cleanup: () => void): () => void {
  hook();
  registry.cleanups.add(cleanup);
  return () => {
    registry.cleanups.delete(cleanup);
  };
}
