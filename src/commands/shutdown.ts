/**
 * @module
 * Graceful shutdown on SIGTERM / SIGINT: runs the process's stop once, then exits. Only a
 * second SIGINT while stopping exits at once (a user pressing Ctrl-C twice means it). A repeated
 * SIGTERM asks for the same graceful stop and is let finish: supervisors repeat it, and a signal
 * sent to a process and to its group arrives twice — exiting then would skip the final
 * snapshots it is writing. Whoever wants it dead now sends SIGKILL.
 */
import type { Logger } from '../telemetry/index.ts';

export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal !== 'SIGINT') {
        logger.info({ signal }, 'already stopping: final snapshots first');
        return;
      }
      logger.warn({ signal }, 'second Ctrl-C: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
