/**
 * @module
 * The root pino logger. Processes log JSON lines; `tankworld dev` on a terminal gets a short
 * human line per record instead, because that is what a person starting it reads.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { logCorrelation } from './request-context.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level: trace, debug, info, warn, error, fatal, silent. */
  level?: string;
  /** Bound to every record, e.g. `{ service: 'tank-server' }`. */
  base?: Record<string, unknown>;
  /** Where records go; stdout when absent. Tests pass a sink stream to read records back. */
  destination?: DestinationStream;
}

/**
 * Builds the root logger. Child loggers add context: `logger.child({ server_id })`.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info', base: { service: 'gateway' } });
 * logger.child({ tank_id }).info('tank created');
 * ```
 */
export function createLogger({ level = 'info', base = {}, destination }: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Each line written while a request runs names its trace, span and request id, so a log
      // store joins it to the trace in Zipkin and to the caller's own records.
      mixin: logCorrelation,
      // Never log credentials, even when a request object is logged whole.
      redact: { paths: ['req.headers.authorization', 'token', 'secret'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
