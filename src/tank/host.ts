/**
 * @module
 * TankHost: every tank of one server process on ONE fixed-step scheduler. One timer drives all
 * tanks (a timer per tank costs more than the tanks at 1000 tanks), steps are bounded when the
 * process falls behind (it reports `ticks_behind` instead of spiralling), paused tanks cost
 * nothing per tick (the host steps the set of ticking tanks each tank keeps it told of), and a
 * tank whose step throws is stopped and reported without touching the others.
 * Broadcasts run at their own rate, separate from the tick (Colyseus keeps the same split).
 */
import type { Tank } from './tank.ts';

export interface TankHostOptions {
  /** Simulation steps per second. */
  tickHz?: number;
  /** Frames sent to viewers per second; a divisor of the tick rate works best. */
  broadcastHz?: number;
  /** Most steps one tank takes in one wake-up when the process fell behind. */
  maxCatchUp?: number;
  /** Milliseconds of stepping before the host yields to I/O within one tick. */
  sliceMs?: number;
  /** Monotonic clock in milliseconds (tests inject one). */
  now?: () => number;
  /** Called once when a tank's step throws; the tank is already stopped. */
  onTankFailed?: (tank: Tank, err: unknown) => void;
  /**
   * Called after every tick with how long stepping took (seconds) and how late the tick began
   * after it was due (`lagSeconds`, 0 when on time) — for metrics.
   */
  onTick?: (info: { seconds: number; steps: number; behind: number; lagSeconds: number }) => void;
  /**
   * Asked synchronously before every tick (and after every yield within one): false stops all
   * stepping until it answers true again, and the time spent so is not owed as ticks (a fenced
   * server resumes from its frame; it does not race to catch up). See `src/server/lease.ts`.
   */
  mayTick?: () => boolean;
  /**
   * Called after a step in which fish decided to go through a tube's mouth (the sim's
   * `events.departures`, copied); the server moves them (`src/server/tubes`).
   */
  onDepartures?: (tank: Tank, departures: Array<{ uid: string; mouth_id: string }>) => void;
}

export interface HostLoad {
  tank_count: number;
  running: number;
  ticks_behind: number;
  /** Ticks due since the host started, and how many of them were dropped (never stepped). */
  ticks_due: number;
  ticks_dropped: number;
  /** Mean wall time of one scheduler tick over the last second, in milliseconds. */
  tick_ms: number;
}

export interface TankHost {
  add(tank: Tank): void;
  remove(tankId: string): Tank | undefined;
  get(tankId: string): Tank | undefined;
  list(): Tank[];
  readonly size: number;
  start(): void;
  stop(): Promise<void>;
  load(): HostLoad;
  /** Runs `ticks` scheduler ticks at once, without the timer (benchmarks, tests). */
  runTicks(ticks: number): void;
}

/**
 * @example
 * ```ts
 * const host = createTankHost({ tickHz: 30, broadcastHz: 15, onTankFailed: (t, err) => log.error({ err, tank_id: t.id }) });
 * host.add(createTank({ id, meta, world: createWorld({ seed: 1, uidPrefix: 'a1' }) }));
 * host.start();
 * ```
 */
export function createTankHost({
  tickHz = 30,
  broadcastHz = 15,
  maxCatchUp = 3,
  sliceMs = 8,
  now = () => performance.now(),
  onTankFailed = () => {},
  onTick = () => {},
  mayTick = () => true,
  onDepartures = () => {},
}: TankHostOptions = {}): TankHost {
  const tanks = new Map<string, Tank>();
  /** The tanks to step (running, not frozen), kept by each tank's `onTicking`. */
  const ticking = new Set<Tank>();
  /** `ticking` as an array for the next tick; rebuilt after a change. */
  let order: Tank[] | undefined;
  const tickMs = 1000 / tickHz;
  const ticksPerBroadcast = Math.max(1, Math.round(tickHz / broadcastHz));
  let timer: NodeJS.Timeout | undefined;
  let startedAt = 0;
  let ticksDone = 0;
  let behind = 0;
  let dropped = 0;
  let running = false;
  let busy: Promise<void> | undefined;
  let tickMsAvg = 0;

  /** Steps `tank` from the next tick on when it ticks and is hosted here, else not. */
  function track(tank: Tank): void {
    const wanted = tank.ticking && tanks.get(tank.id) === tank;
    if (wanted === ticking.has(tank)) return;
    if (wanted) ticking.add(tank);
    else ticking.delete(tank);
    order = undefined;
  }

  function forget(tank: Tank): void {
    tank.onTicking(undefined);
    if (ticking.delete(tank)) order = undefined;
  }

  function stepTank(tank: Tank, steps: number, broadcastDue: boolean): void {
    // A frozen tank is being moved: its saved snapshot must stay its whole state.
    if (tank.status !== 'running' || tank.frozen) return;
    try {
      for (let i = 0; i < steps; i++) {
        tank.step();
        const { departures } = tank.world.events;
        if (departures.length > 0)
          onDepartures(
            tank,
            departures.map((d) => ({ ...d })),
          );
      }
      if (broadcastDue) tank.broadcast();
    } catch (err) {
      tank.fail(err);
      onTankFailed(tank, err);
    }
  }

  /** One scheduler tick: every running tank advances `steps`, yielding to I/O between slices. */
  async function tick(steps: number): Promise<void> {
    const began = now();
    // Measured from when the first of the ticks taken now was due.
    const lagSeconds = Math.max(0, began - (startedAt + (ticksDone + 1) * tickMs)) / 1000;
    const broadcastDue =
      Math.floor(ticksDone / ticksPerBroadcast) !== Math.floor((ticksDone + steps) / ticksPerBroadcast);
    let sliceStart = began;
    order ??= [...ticking];
    for (const tank of order) {
      stepTank(tank, steps, broadcastDue);
      if (now() - sliceStart > sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = now();
        // The process may have been paused in between (SIGSTOP, GC): ask again.
        if (!mayTick()) break;
      }
    }
    ticksDone += steps;
    const seconds = (now() - began) / 1000;
    tickMsAvg = tickMsAvg * 0.9 + seconds * 100;
    onTick({ seconds, steps, behind, lagSeconds });
  }

  function schedule(): void {
    if (!running) return;
    const due = Math.floor((now() - startedAt) / tickMs);
    const wait = Math.max(0, startedAt + (ticksDone + 1) * tickMs - now());
    if (due <= ticksDone) {
      timer = setTimeout(wake, wait);
      return;
    }
    wake();
  }

  function wake(): void {
    if (!running) return;
    if (!mayTick()) {
      // Nothing is owed for the time not allowed to tick: the clock restarts from here.
      startedAt = now() - ticksDone * tickMs;
      timer = setTimeout(wake, tickMs);
      return;
    }
    const due = Math.floor((now() - startedAt) / tickMs);
    let steps = due - ticksDone;
    if (steps <= 0) {
      schedule();
      return;
    }
    if (steps > maxCatchUp) {
      // Too far behind to catch up without starving I/O: drop the backlog, say so in the load.
      behind = steps - maxCatchUp;
      dropped += steps - maxCatchUp;
      ticksDone += steps - maxCatchUp;
      steps = maxCatchUp;
    } else {
      behind = Math.max(0, behind - 1);
    }
    busy = tick(steps).finally(() => {
      busy = undefined;
      schedule();
    });
  }

  return {
    add(tank) {
      const previous = tanks.get(tank.id);
      if (previous && previous !== tank) forget(previous);
      tanks.set(tank.id, tank);
      tank.onTicking(track);
      track(tank);
    },
    remove(tankId) {
      const tank = tanks.get(tankId);
      tanks.delete(tankId);
      if (tank) forget(tank);
      return tank;
    },
    get: (tankId) => tanks.get(tankId),
    list: () => [...tanks.values()],
    get size() {
      return tanks.size;
    },
    start() {
      if (running) return;
      running = true;
      startedAt = now() - ticksDone * tickMs;
      schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await busy;
    },
    load() {
      let active = 0;
      for (const t of tanks.values()) if (t.status === 'running') active++;
      return {
        tank_count: tanks.size,
        running: active,
        ticks_behind: behind,
        ticks_due: ticksDone,
        ticks_dropped: dropped,
        tick_ms: Math.round(tickMsAvg * 100) / 100,
      };
    },
    runTicks(ticks) {
      for (let i = 0; i < ticks; i++) {
        const broadcastDue = (ticksDone + 1) % ticksPerBroadcast === 0;
        order ??= [...ticking];
        for (const tank of order) stepTank(tank, 1, broadcastDue);
        ticksDone++;
      }
    },
  };
}
