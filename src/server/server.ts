/**
 * @module
 * A tank server: its tanks on one scheduler, REST and WebSocket on one HTTP port, the internal
 * API, the snapshotter and the heartbeat. Every adapter (discovery, store, realtime, verifiers)
 * is handed in; the CLI chooses them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { ServerInstance, ServerRegistration } from '../discovery/index.ts';
import { answerClientErrors } from '../http/index.ts';
import type { TankHost } from '../tank/index.ts';
import { createServerApp, publicFetchOf } from './app.ts';
import { createDrain, type DrainResult } from './drain.ts';
import { createHeartbeat } from './heartbeat.ts';
import { SERVER_VERSION, type TankServerOptions } from './options.ts';
import { buildServerParts } from './parts.ts';

export { SERVER_VERSION, type TankServerOptions } from './options.ts';

export interface TankServer {
  readonly serverId: string;
  readonly host: TankHost;
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Hono's fetch, for in-process requests in tests. */
  fetch(request: Request): Response | Promise<Response>;
  start(): Promise<void>;
  /**
   * Moves every tank to other passing servers, live (`drain.ts`), within `timeoutMs`; what is
   * left stays for `stop`. SIGTERM runs it before `stop`.
   */
  drain(options?: { timeoutMs?: number }): Promise<DrainResult>;
  /** Graceful stop: final snapshots, deregistration; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const server = createTankServer({ serverId: 'alpha', port: 8001, db, discovery, realtime, verifier, internalVerifier, logger });
 * await server.start();
 * process.on('SIGTERM', () => server.stop());
 * ```
 */
export function createTankServer(options: TankServerOptions): TankServer {
  const { discovery, realtime, db } = options;
  const parts = buildServerParts(options);
  const {
    serverId,
    logger,
    startedAt,
    host,
    viewers,
    snapshotter,
    participant,
    tanks,
    fencing,
    handOff,
    tubes,
  } = parts;
  let registration: ServerRegistration | undefined;
  let heartbeat: ReturnType<typeof createHeartbeat> | undefined;
  const self = (): ServerInstance => ({
    ...(registration as ServerRegistration),
    status: 'passing',
    lastOutput: '',
    load: heartbeat?.load(),
  });
  const app = createServerApp({ parts, options, self });
  const drainer = createDrain({
    serverId,
    host,
    discovery,
    handOff,
    logger,
    onDraining: async () => heartbeat?.beat(),
  });
  const publicFetch = publicFetchOf(app, options.meshPort);

  let http: Server | undefined;
  let meshHttp: Server | undefined;
  let port = options.port ?? 0;
  let unsubscribe: (() => Promise<void>) | undefined;
  let stopping: Promise<void> | undefined;

  const listenHost = options.listenHost ?? '127.0.0.1';
  const urls = () => {
    const address = options.advertiseAddress ?? (listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost);
    return {
      address,
      url: options.publicUrl ?? `http://${address}:${port}`,
      wsUrl: options.wsUrl ?? `ws://${address}:${port}`,
    };
  };

  return {
    serverId,
    host,
    get url() {
      return urls().url;
    },
    get wsUrl() {
      return urls().wsUrl;
    },
    get port() {
      return port;
    },
    fetch: (request) => app.fetch(request),
    async start() {
      await tanks.loadOwned();
      host.start();
      if (options.meshPort !== undefined) {
        // Loopback only: in a pod or a compose network namespace, only the sidecar reaches it.
        meshHttp = answerClientErrors(createServer(getRequestListener(app.fetch)));
        await listen(meshHttp, options.meshPort, '127.0.0.1');
      }
      http = answerClientErrors(createServer(getRequestListener(publicFetch)));
      http.on('upgrade', (req, socket, head) => {
        if (!viewers.handleUpgrade(req, socket, head)) socket.destroy();
      });
      await listen(http, port, listenHost);
      port = (http.address() as AddressInfo).port;
      const { address, url, wsUrl } = urls();
      registration = {
        serverId,
        address,
        port,
        region: options.region ?? 'local',
        zone: options.zone ?? 'local-a',
        version: SERVER_VERSION,
        capabilities: ['poker', 'transfer', 'snapshots', 'binary-frames'],
        publicUrl: url,
        wsUrl,
        startedAt: startedAt.toISOString(),
      };
      heartbeat = createHeartbeat({
        self: registration,
        discovery,
        realtime,
        db,
        host,
        logger,
        intervalMs: options.heartbeatMs,
        loadEveryMs: options.loadReportMs,
        now: fencing.lease.sending,
        onPassed: fencing.passed,
        mayAct: fencing.mayAct,
        viewerCount: () => viewers.count,
        draining: () => drainer.draining,
      });
      await heartbeat.start();
      // The first pass gave the lease; its re-read of the locations is done before `ready`.
      await fencing.settled();
      // A grant or revoke made at a gateway: open WebSockets of that user on that tank take the
      // new level at once (REST reads the grants on every request anyway).
      unsubscribe = await realtime.subscribe((event) => {
        tubes.onEvent(event);
        // A tank handed off to this server (a drain): it runs here from now on, viewers or not.
        if (event.type === 'tank_moved' && event.to === serverId && !host.get(event.tank_id)) {
          tanks
            .adopt(event.tank_id, event.epoch)
            .catch((err) =>
              logger.debug({ err, tank_id: event.tank_id }, 'moved tank not adopted on its event'),
            );
          return;
        }
        if (event.type !== 'permission_changed' || !host.get(event.tank_id)) return;
        viewers
          .recheck(event.tank_id, event.user_id)
          .catch((err) => logger.warn({ err, tank_id: event.tank_id }, 'viewer levels not rechecked'));
      });
      snapshotter.start();
      participant.start();
      tubes.start();
      logger.info({ url, ws_url: wsUrl, tanks: host.size }, 'tank server ready');
    },
    drain({ timeoutMs = 20_000 } = {}) {
      return drainer.run({ timeoutMs });
    },
    stop() {
      stopping ??= (async () => {
        logger.info('tank server stopping: final snapshots, then deregister');
        http?.close();
        meshHttp?.close();
        participant.stop();
        await unsubscribe?.().catch(() => undefined);
        await viewers.close();
        await host.stop();
        // No tick, no departure: the moves under way end before the final snapshots.
        await tubes.stop();
        await snapshotter.stop();
        const saved = await snapshotter.flush({ all: true }).catch((err) => {
          logger.error({ err }, 'final snapshots failed');
          return 0;
        });
        await heartbeat?.stop();
        fencing.close();
        await discovery
          .deregister()
          .catch((err) => logger.warn({ err: (err as Error).message }, 'deregistration failed'));
        http?.closeAllConnections();
        meshHttp?.closeAllConnections();
        logger.info({ saved }, 'tank server stopped');
      })();
      return stopping;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
