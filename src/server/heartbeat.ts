/**
 * @module
 * Registration and heartbeat: the server joins discovery at start, then every interval passes
 * its TTL check with its load as the check output (`warning` when saturated); each success
 * renews the server's lease (`lease.ts`, from the time the pass was sent). Apart from the TTL
 * pass, and at most every `loadEveryMs` (so a fast TTL does not multiply database writes), it
 * writes the load and each tank's live stats to real-time state for placement and listings,
 * and mirrors itself in the `servers` table. Any of those being down never stops the beat: it
 * retries on the next interval and logs one line per change of state, not one per failure.
 */
import os from 'node:os';
import type { Discovery, ServerLoad, ServerRegistration } from '../discovery/index.ts';
import type { Realtime } from '../realtime/index.ts';
import { worldStats } from '../sim/index.ts';
import {
  type Db,
  recordHeartbeat,
  recordTankStats,
  type TankStatsRow,
  upsertServer,
} from '../store/index.ts';
import type { TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';

export interface HeartbeatOptions {
  self: ServerRegistration;
  discovery: Discovery;
  realtime: Realtime;
  db: Db;
  host: TankHost;
  logger: Logger;
  /** Interval of TTL passes. */
  intervalMs?: number;
  /** Least interval of the load and stats writes (Redis, PostgreSQL); at least `intervalMs`. */
  loadEveryMs?: number;
  /** Monotonic clock of the lease; the pass's send time is read on it. */
  now?: () => number;
  /** A TTL pass (or the registration) sent at `sentAt` succeeded: the lease runs from there. */
  onPassed?: (sentAt: number) => void;
  /** False while fenced: the tanks' stats are not published then (they may run elsewhere). */
  mayAct?: () => boolean;
  viewerCount: () => number;
  /** Tanks above which the server reports itself as `warning` (placement avoids it). */
  softMaxTanks?: number;
  /**
   * Share of the interval's ticks dropped above which the server reports itself as `warning`:
   * a stall of a few ticks (a GC pause, a busy neighbour) is not saturation.
   */
  saturatedDropRatio?: number;
  /** True while the server drains (SIGTERM): reported as `warning`, so placement avoids it. */
  draining?: () => boolean;
}

export interface Heartbeat {
  start(): Promise<void>;
  /** One beat now, load writes included (tests, and after a known change such as a new tank). */
  beat(): Promise<void>;
  load(): ServerLoad;
  stop(): Promise<void>;
}

type Part = 'discovery' | 'realtime' | 'store';

/**
 * @example
 * ```ts
 * const heartbeat = createHeartbeat({ self, discovery, realtime, db, host, logger, viewerCount: () => ws.count });
 * await heartbeat.start();
 * ```
 */
export function createHeartbeat({
  self,
  discovery,
  realtime,
  db,
  host,
  logger,
  intervalMs = 2000,
  loadEveryMs = Math.max(2000, intervalMs),
  now = () => performance.now(),
  onPassed = () => {},
  mayAct = () => true,
  viewerCount,
  softMaxTanks = 1500,
  saturatedDropRatio = 0.1,
  draining = () => false,
}: HeartbeatOptions): Heartbeat {
  let timer: NodeJS.Timeout | undefined;
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  let lastTicks = { due: 0, dropped: 0 };
  let dropRatio = 0;
  let inFlight: Promise<void> | undefined;
  let loadWrittenAt = Number.NEGATIVE_INFINITY;
  let loadInFlight: Promise<void> | undefined;
  const down = new Set<Part>();
  /** Each tank's figures as last written to the store: only changes are written again. */
  const written = new Map<string, string>();

  /**
   * The load since the last beat. Only a beat (`advance`) starts a new interval; any other
   * reading (the server's own status page, the start-up row) leaves the interval running.
   */
  function measure(advance: boolean): ServerLoad {
    const cpu = process.cpuUsage(lastCpu);
    const now = performance.now();
    const elapsedUs = (now - lastAt) * 1000;
    // Under a second of CPU time says nothing (the first beat follows `start` at once): no
    // reading, and the CPU interval runs on to the next beat.
    const measured = elapsedUs >= 1_000_000;
    const hostLoad = host.load();
    const due = hostLoad.ticks_due - lastTicks.due;
    const dropped = hostLoad.ticks_dropped - lastTicks.dropped;
    if (advance) {
      if (measured) {
        lastCpu = process.cpuUsage();
        lastAt = now;
      }
      lastTicks = { due: hostLoad.ticks_due, dropped: hostLoad.ticks_dropped };
      // Over at least 100 ticks: a few dropped at start-up, out of a handful due, say nothing.
      dropRatio = dropped / Math.max(due, 100);
    }
    return {
      tank_count: hostLoad.tank_count,
      cpu_percent: measured ? Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10 : 0,
      memory_mb: Math.round(process.memoryUsage.rss() / 1048576),
      ws_connections: viewerCount(),
      // Ticks dropped over the interval, not a stall of this instant.
      ticks_behind: dropped,
    };
  }

  const load = () => measure(false);

  async function guarded(part: Part, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
      if (down.delete(part)) logger.info({ part }, `${part} reachable again`);
    } catch (err) {
      if (!down.has(part))
        logger.warn(
          { part, err: (err as Error).message },
          `${part} unreachable; tanks keep running, retrying every beat`,
        );
      down.add(part);
    }
  }

  /** A TTL pass: on success the lease runs from when it was sent (never later than Consul's reset). */
  async function pass(current: ServerLoad, saturated: boolean): Promise<void> {
    const sentAt = now();
    await guarded('discovery', async () => {
      await discovery.passTtl(current, { status: saturated ? 'warning' : 'passing' });
      onPassed(sentAt);
    });
  }

  /**
   * The figures search filters on (`tanks.fish_count`, `generation`), for the tanks whose
   * figures changed since the last write: a quiet tank costs nothing.
   */
  async function writeTankStats(rows: TankStatsRow[]): Promise<void> {
    const key = (r: TankStatsRow) => `${r.fishCount}:${r.generation}`;
    const changed = rows.filter((r) => written.get(r.tankId) !== key(r));
    const held = new Set(rows.map((r) => r.tankId));
    for (const id of written.keys()) if (!held.has(id)) written.delete(id);
    if (changed.length === 0) return;
    await recordTankStats(db, { serverId: self.serverId, rows: changed });
    for (const r of changed) written.set(r.tankId, key(r));
  }

  async function writeLoad(current: ServerLoad): Promise<void> {
    const at = new Date().toISOString();
    const ttlMs = Math.max(loadEveryMs, intervalMs) * 3;
    const tanks = mayAct() ? host.list() : [];
    const measured = tanks.map((tank) => ({ tank, s: worldStats(tank.world) }));
    await Promise.all([
      guarded('realtime', async () => {
        await realtime.setLoad(self.serverId, { ...current, updated_at: at }, { ttlMs });
        await Promise.all(
          measured.map(({ tank, s }) => {
            return realtime.setTankStats(
              tank.id,
              {
                server_id: self.serverId,
                frame: s.frame,
                fish_count: s.fishCount,
                generation: s.maxGeneration,
                max_generation: s.maxGeneration,
                total_extinctions: 0,
                total_energy: Math.round(s.energy.total),
                fish_energy: Math.round(s.energy.fish),
                plant_energy: Math.round(s.energy.plants),
                client_count: tank.viewerCount,
                updated_at: at,
              },
              { ttlMs },
            );
          }),
        );
      }),
      guarded('store', async () => {
        await recordHeartbeat(db, { serverId: self.serverId, load: { ...current } });
        await writeTankStats(
          measured.map(({ tank, s }) => ({
            tankId: tank.id,
            fishCount: s.fishCount,
            generation: s.maxGeneration,
          })),
        );
      }),
    ]);
  }

  async function beatOnce(force: boolean): Promise<void> {
    const current = measure(true);
    // A draining server reports `warning` so placement sends nothing new its way.
    const saturated = dropRatio > saturatedDropRatio || current.tank_count > softMaxTanks || draining();
    const due = !loadInFlight && (force || now() - loadWrittenAt >= loadEveryMs);
    if (due) {
      loadWrittenAt = now();
      loadInFlight = writeLoad(current).finally(() => {
        loadInFlight = undefined;
      });
    }
    // The next pass does not wait for the load writes: a slow database must not cost the lease.
    const writes = force ? loadInFlight : undefined;
    await Promise.all([pass(current, saturated), writes]);
  }

  function beat(force = true): Promise<void> {
    inFlight ??= beatOnce(force).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedule(): void {
    timer = setTimeout(() => {
      beat(false).finally(() => {
        if (timer) schedule();
      });
    }, intervalMs);
  }

  return {
    async start() {
      // The CPU interval starts here, not at construction: restoring tanks is not load.
      lastCpu = process.cpuUsage();
      lastAt = performance.now();
      const sentAt = now();
      // Registering sets the check passing: it renews the lease as a pass does.
      await guarded('discovery', async () => {
        await discovery.register(self);
        onPassed(sentAt);
      });
      await guarded('store', () =>
        upsertServer(db, {
          serverId: self.serverId,
          hostname: os.hostname(),
          host: self.address,
          port: self.port,
          region: self.region,
          zone: self.zone,
          version: self.version,
          status: 'online',
          publicUrl: self.publicUrl,
          wsUrl: self.wsUrl,
          load: { ...load() },
        }),
      );
      await beat();
      schedule();
    },
    beat,
    load,
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inFlight;
      await loadInFlight;
    },
  };
}
