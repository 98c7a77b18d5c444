/**
 * @module
 * What every long-running `tankworld` process does around its own part: a pino logger and
 * OpenTelemetry named for the service, the adapters the configuration chooses, migrations, and a
 * graceful stop on SIGTERM / SIGINT (the part, then the adapters, then tracing).
 */
import type { CommonConfig } from '../config.ts';
import { createLocalRegistry } from '../discovery/index.ts';
import { createLogger, type Logger, startTracing } from '../telemetry/index.ts';
import { type Adapters, createAdapters } from './adapters.ts';
import { onShutdown } from './shutdown.ts';

/** A part of the process: started once everything it needs is there, stopped first. */
export interface ProcessPart {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface RunProcessOptions<C extends CommonConfig & { discovery?: 'consul' | 'local' }> {
  service: string;
  config: C;
  build(parts: { adapters: Adapters; logger: Logger }): ProcessPart;
}

/**
 * @example
 * ```ts
 * await runProcess({ service: 'tank-server', config, build: ({ adapters, logger }) => createTankServer({ … }) });
 * ```
 */
export async function runProcess<C extends CommonConfig & { discovery?: 'consul' | 'local' }>({
  service,
  config,
  build,
}: RunProcessOptions<C>): Promise<void> {
  const logger = createLogger({ level: config.logLevel, base: { service } });
  const tracing = await startTracing({
    serviceName: service,
    otlpEndpoint: config.otlpEndpoint,
    zipkinEndpoint: config.zipkinEndpoint,
    instanceId: instanceIdOf(config),
  });
  const adapters = await createAdapters({ config, logger, localRegistry: createLocalRegistry() });
  await adapters.store.migrate();
  const part = build({ adapters, logger });
  onShutdown(logger, async () => {
    await part.stop();
    await adapters.close();
    await tracing.shutdown();
  });
  await part.start();
}

/** The server or gateway id of the process, for its spans' `service.instance.id`. */
function instanceIdOf(config: object): string | undefined {
  const { serverId, gatewayId } = config as { serverId?: unknown; gatewayId?: unknown };
  const id = serverId ?? gatewayId;
  return typeof id === 'string' ? id : undefined;
}
