/**
 * @module
 * Graceful shutdown on SIGTERM / SIGINT: runs the process's stop once, then exits. A second
 * signal while stopping exits at once (a user pressing Ctrl-C twice means it).
 */
import type { Logger } from '../telemetry/index.ts';

export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
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
