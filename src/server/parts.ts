/**
 * @module
 * Building a tank server's parts, apart from running them (`server.ts` starts and stops them):
 * its metrics, the tank host, the viewer sockets, the tank service, the snapshotter and the
 * transfer participant, wired to each other.
 */

import { noCrash } from '../fault/index.ts';
import { createLimits, createMemoryLimitBackend, type Limits, NO_LIMITS } from '../limits/index.ts';
import { createTankHost, type TankHost } from '../tank/index.ts';
import { createMetricsRegistry, type Logger, type Registry } from '../telemetry/index.ts';
import { levelOf } from './context.ts';
import { createFencing, type Fencing } from './fencing.ts';
import { createHandOff, type HandedOff, type HandOffTarget } from './hand-off.ts';
import { createServerMetrics } from './metrics.ts';
import type { TankServerOptions } from './options.ts';
import { createSnapshotter, type Snapshotter } from './snapshotter.ts';
import { createTankService, type TankService } from './tank-service.ts';
import { createParticipant, type Participant, reconcileRestore, reconcileWorld } from './transfers/index.ts';
import { createTubes, type Tubes } from './tubes/index.ts';
import { createViewerSockets, type ViewerSockets } from './ws.ts';

/** What `buildServerParts` builds; nothing of it is started yet. */
export interface ServerParts {
  serverId: string;
  logger: Logger;
  limits: Limits;
  registry: Registry;
  startedAt: Date;
  host: TankHost;
  viewers: ViewerSockets;
  tanks: TankService;
  snapshotter: Snapshotter;
  participant: Participant;
  /** The lease and what the server does when it runs out (`fencing.ts`). */
  fencing: Fencing;
  /** Moves one running tank to another server, live (see `hand-off.ts`). */
  handOff: (tankId: string, to: HandOffTarget) => Promise<HandedOff>;
  /** Tubes between tanks: their mouths, and the fish that go through them. */
  tubes: Tubes;
}

/**
 * @example
 * ```ts
 * const parts = buildServerParts(options);
 * const app = createServerApp({ parts, options, self });
 * ```
 */
export function buildServerParts(options: TankServerOptions): ServerParts {
  const { serverId, db, realtime, verifier } = options;
  const limits =
    options.limits ??
    createLimits({ backend: createMemoryLimitBackend(), config: NO_LIMITS, scope: 'server' });
  const logger = options.logger.child({ server_id: serverId });
  const registry = createMetricsRegistry({
    labels: { server_id: serverId },
    processMetrics: options.processMetrics,
  });
  const metrics = createServerMetrics(registry, {
    tankCount: () => host.size,
    anyUnsaved: () => host.list().some((t) => t.dirty),
    // Read at scrape time, once everything below is built.
    tubeMovesInFlight: () => tubes.mover.inFlight,
  });
  const startedAt = new Date();
  const fencing = createFencing({
    serverId,
    db,
    tanks: () => host.list(),
    logger,
    leaseMs: options.leaseMs ?? (options.heartbeatMs ?? 2000) * 2.5,
    retryAfterS: options.fencedRetryAfterS ?? 1,
    onFenced: (err) => viewers.fenceAll(err),
    drop: (tankId) => tanks.evict(tankId),
  });
  const host = createTankHost({
    // Asked before every tick: a server past its lease never steps a tank.
    mayTick: () => fencing.mayAct(),
    tickHz: options.tickHz,
    broadcastHz: options.broadcastHz,
    onTankFailed: (tank, err) => {
      metrics.tanksFailed.inc();
      logger.error({ err, tank_id: tank.id }, 'tank stopped: its simulation step threw');
    },
    onDepartures: (tank, departures) => tubes.mover.depart(tank, departures),
    onTick: ({ seconds, behind, lagSeconds }) => {
      metrics.tickSeconds.observe(seconds);
      metrics.tickLag.observe(lagSeconds);
      metrics.ticksBehind.set(behind);
    },
  });
  const viewers = createViewerSockets({
    logger,
    verifier,
    // A tank failed over to this server is adopted on its first viewer too (see `find`).
    findTank: (id) => tanks.find(id).catch(() => undefined),
    levelOf: (user, tank) => levelOf(db, user, tank),
    onViewerCount: (n) => metrics.viewers.set(n),
    onFrameSent: (bytes) => metrics.frameSent(bytes),
    onFrameSkipped: () => metrics.framesSkipped.inc(),
    connections: limits.ws,
    fenced: () => fencing.refusal(),
    internalVerifier: options.internalVerifier,
    tubesOf: (tankId) => tubes.book.view(tankId),
  });
  // A restored world replays the tank's transfer journal: only the store is needed for that,
  // so the tank service takes the two functions straight from `transfers/held.ts`.
  const tanks = createTankService({
    serverId,
    host,
    db,
    logger,
    maxTanks: options.maxTanks,
    tanksPerOwner: limits.tanksPerOwner,
    reconcileWorld: (tankId, world, coveredUpTo) => reconcileWorld(db, tankId, world, coveredUpTo),
    reconcileRestore: (tankId, world, live) => reconcileRestore(db, tankId, world, live),
    onRestored: (seconds, from) => metrics.restoreSeconds.observe({ from }, seconds),
    onTankGone: (tankId, reason, audience) => {
      viewers.closeTank(tankId, reason === 'moved' ? 'tank moved to another server' : 'tank deleted');
      const at = new Date().toISOString();
      if (reason === 'deleted')
        realtime
          .publish({
            type: 'tank_deleted',
            tank_id: tankId,
            server_id: serverId,
            at,
            is_public: audience?.isPublic ?? false,
            readers: audience?.readers ?? [],
          })
          .catch(() => {});
    },
  });
  const snapshotter = createSnapshotter({
    serverId,
    host,
    db,
    logger,
    intervalMs: options.snapshotIntervalMs,
    mayWrite: () => fencing.mayAct(),
    onFenced: (tankId) => tanks.evict(tankId),
    onBatch: ({ seconds }) => metrics.snapshotSaved(seconds),
  });

  const participant = createParticipant({
    serverId,
    db,
    host,
    snapshotter,
    logger,
    crash: options.crash ?? noCrash,
    sweepIntervalMs: options.reservationSweepMs,
    mayAct: () => fencing.mayAct(),
  });

  const handOff = createHandOff({
    serverId,
    host,
    db,
    realtime,
    snapshotter,
    logger,
    moveViewers: (tankId, message) => viewers.moveTank(tankId, message),
  });

  const tubes = createTubes({
    serverId,
    db,
    host,
    snapshotter,
    realtime,
    discovery: options.discovery,
    logger,
    internalSecret: options.internalSecret,
    resolveServer: options.resolveServer,
    refreshMs: options.tubeRefreshMs,
    tell: (tankId, message) => viewers.tell(tankId, message),
  });

  return {
    serverId,
    logger,
    limits,
    registry,
    startedAt,
    host,
    viewers,
    tanks,
    snapshotter,
    participant,
    fencing,
    handOff,
    tubes,
  };
}
