/**
 * @module
 * Draining a server before it stops (SIGTERM): it reports itself `warning` so placement sends
 * no new tank here, then hands each tank off live (`hand-off.ts`) to the passing server with
 * the fewest tanks, a few at a time, until none is left or the deadline passes. What could not
 * move (no other passing server, a failed hand-off, the deadline) stays here and gets its final
 * snapshot from the ordinary stop, as before drains existed; failover restores it elsewhere.
 *
 * The server coordinates its own drain, not a gateway: it holds its tanks and every step up to
 * the location's CAS is local to it, discovery and the store are all it needs to choose and
 * record a destination, and a SIGTERM must not depend on a gateway being up. The destination
 * adopts on the `tank_moved` event, or on the first viewer or request that reaches it.
 */
import type { Discovery, ServerInstance } from '../discovery/index.ts';
import type { TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { HandedOff, HandOffTarget } from './hand-off.ts';

export interface DrainOptions {
  serverId: string;
  host: TankHost;
  discovery: Discovery;
  handOff: (tankId: string, to: HandOffTarget) => Promise<HandedOff>;
  logger: Logger;
  /** Called once the server counts as draining, so the heartbeat reports it at once. */
  onDraining?: () => Promise<void>;
  /** Hand-offs at once. */
  concurrency?: number;
}

export interface DrainResult {
  moved: HandedOff[];
  /** Tanks still here (nowhere to go, failed, or past the deadline). */
  left: number;
}

export interface Drain {
  /** True from the first `run` on. */
  readonly draining: boolean;
  /** Moves every tank off this server within `timeoutMs`; `onMoved` sees each one. */
  run(options: { timeoutMs: number; onMoved?: (moved: HandedOff) => void }): Promise<DrainResult>;
}

/** The passing servers other than `self`, each with the tanks it holds (its last load report). */
async function destinations(discovery: Discovery, self: string): Promise<Map<string, ServerInstance>> {
  const servers = await discovery.healthyServers();
  // A `warning` server is saturated or draining itself: moving tanks there moves them twice.
  return new Map(
    servers.filter((s) => s.serverId !== self && s.status === 'passing').map((s) => [s.serverId, s]),
  );
}

/**
 * @example
 * ```ts
 * const drain = createDrain({ serverId, host, discovery, handOff, logger });
 * const { moved, left } = await drain.run({ timeoutMs: 20_000 });
 * ```
 */
export function createDrain({
  serverId,
  host,
  discovery,
  handOff,
  logger,
  onDraining = async () => {},
  concurrency = 4,
}: DrainOptions): Drain {
  let draining = false;

  async function run({
    timeoutMs,
    onMoved = () => {},
  }: {
    timeoutMs: number;
    onMoved?: (moved: HandedOff) => void;
  }): Promise<DrainResult> {
    draining = true;
    const deadline = performance.now() + timeoutMs;
    await onDraining().catch((err) => logger.warn({ err: (err as Error).message }, 'draining not reported'));
    let targets: Map<string, ServerInstance>;
    try {
      targets = await destinations(discovery, serverId);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'discovery unreachable: no drain, final snapshots only');
      return { moved: [], left: host.size };
    }
    const counts = new Map([...targets.values()].map((s) => [s.serverId, s.load?.tank_count ?? 0]));
    // Tanks adopted here while draining (another server's drain chose this one before it saw
    // this one draining) are picked up by the next round.
    const tried = new Set<string>();
    const untried = () =>
      host
        .list()
        .map((t) => t.id)
        .filter((id) => !tried.has(id));
    const queue = untried();
    const moved: HandedOff[] = [];
    logger.info({ tanks: queue.length, destinations: [...targets.keys()] }, 'draining: moving every tank');

    async function worker(): Promise<void> {
      for (let tankId = queue.shift(); tankId !== undefined; tankId = queue.shift()) {
        if (performance.now() > deadline || counts.size === 0) return;
        tried.add(tankId);
        const [to] = [...counts].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]!;
        counts.set(to, (counts.get(to) ?? 0) + 1);
        try {
          const done = await handOff(tankId, { serverId: to, wsUrl: targets.get(to)!.wsUrl });
          moved.push(done);
          onMoved(done);
        } catch (err) {
          counts.set(to, (counts.get(to) ?? 1) - 1);
          logger.warn({ err: (err as Error).message, tank_id: tankId, to }, 'tank not handed off; it stays');
        }
      }
    }
    while (counts.size > 0 && queue.length > 0 && performance.now() < deadline) {
      await Promise.all(Array.from({ length: concurrency }, worker));
      queue.push(...untried());
    }
    const left = host.size;
    logger.info({ moved: moved.length, left }, left === 0 ? 'drained' : 'drain ended with tanks left');
    return { moved, left };
  }

  return {
    get draining() {
      return draining;
    },
    run,
  };
}
