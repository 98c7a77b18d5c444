/**
 * @module
 * The gateway in discovery: registered as `tank-gateway` at start, its TTL check passed every
 * interval, deregistered on stop. Discovery being down never stops the gateway: the beat keeps
 * trying (discovery re-registers on the first beat that reaches it) and logs one line per change
 * of state, not one per failure.
 */
import type { Discovery, ServerLoad, ServerRegistration } from '../discovery/index.ts';
import type { Logger } from '../telemetry/index.ts';

export interface SelfRegistration {
  start(): Promise<void>;
  /** Stops the beat and deregisters. Idempotent. */
  stop(): Promise<void>;
}

export interface SelfRegistrationOptions {
  discovery: Discovery;
  self: ServerRegistration;
  logger: Logger;
  intervalMs?: number;
  /** What the check output says; the gateway reports its cache size and SSE clients. */
  load: () => ServerLoad;
}

/**
 * @example
 * ```ts
 * const registration = createSelfRegistration({ discovery, self: { service: 'tank-gateway', … }, logger, load });
 * await registration.start();
 * ```
 */
export function createSelfRegistration({
  discovery,
  self,
  logger,
  intervalMs = 10_000,
  load,
}: SelfRegistrationOptions): SelfRegistration {
  let timer: NodeJS.Timeout | undefined;
  let down = false;
  let inFlight: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  async function guarded(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
      if (down) logger.info(`discovery reachable again (${what})`);
      down = false;
    } catch (err) {
      if (!down)
        logger.warn(
          { err: (err as Error).message },
          `discovery unreachable (${what}); the gateway keeps serving`,
        );
      down = true;
    }
  }

  function beat(): Promise<void> {
    inFlight ??= guarded('heartbeat', () => discovery.passTtl(load())).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    async start() {
      await guarded('register', () => discovery.register(self));
      timer = setInterval(() => void beat(), intervalMs);
      timer.unref();
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        timer = undefined;
        await inFlight;
        await discovery
          .deregister()
          .catch((err) => logger.warn({ err: (err as Error).message }, 'deregistration failed'));
      })();
      return stopping;
    },
  };
}
