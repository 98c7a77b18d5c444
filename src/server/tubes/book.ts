/**
 * @module
 * The tubes of this server's tanks, as the database has them (`tank_connections` with an end on
 * a tank whose location names this server): read again every `refreshMs`, when a
 * `connection_changed` event names a tank here, and when a tank is created or moved here (reads
 * at least `minGapMs` apart, so a failover's thousands of arrivals share a few). Each tube end
 * becomes a mouth on its tank's edge: the ends fish may leave through are set on a world
 * (`setMouths`) when its tubes changed or the world is new here (a tank arrived, or was
 * restored); every end (arrivals included) is listed to viewers (`tubes`).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type Mouth as SimMouth, setMouths, type World } from '../../sim/index.ts';
import {
  type Db,
  listConnectionsOnServer,
  type Mouth,
  type TankConnection,
  type TubeDirection,
} from '../../store/index.ts';
import type { TankHost } from '../../tank/index.ts';
import type { Logger } from '../../telemetry/index.ts';

/** One end of a tube, on a tank of this server. */
export interface TubeEnd {
  connectionId: string;
  tankId: string;
  otherTankId: string;
  /** This tank's edge. */
  mouth: Mouth;
  /** Where along the edge (px). */
  span: [number, number];
  direction: TubeDirection;
  /** Fish may leave through it: the source end, or either end of a two-way tube. */
  sends: boolean;
  ratePerMinute: number;
}

/** What a viewer is told of each tube of its tank (hello and state messages). */
export interface TubeView {
  connection_id: string;
  mouth: Mouth;
  span: [number, number];
  other_tank_id: string;
  direction: TubeDirection;
}

export interface TubeBook {
  /** Reads the tubes again and sets every tank's mouths; resolves when done. */
  refresh(): Promise<void>;
  endsOf(tankId: string): readonly TubeEnd[];
  /** The end fish of `tankId` may leave through, named by its connection id. */
  sending(tankId: string, connectionId: string): TubeEnd | undefined;
  /** The end a fish arriving at `tankId` through `connectionId` comes out of. */
  arriving(tankId: string, connectionId: string): TubeEnd | undefined;
  view(tankId: string): TubeView[];
  start(): void;
  stop(): void;
}

export interface TubeBookOptions {
  /** This server: its tanks' tubes are those whose location names it. */
  serverId: string;
  db: Db;
  host: TankHost;
  logger: Logger;
  refreshMs?: number;
  /**
   * Least time between two reads: events ask for one per tank created or moved here, and a
   * failover brings thousands; they share the next read instead of queueing one each.
   */
  minGapMs?: number;
  /** A tank here whose tubes changed (made, cut, re-spanned) since the last read. */
  onChange?: (tankId: string) => void;
}

/** Each tube on one edge gets its own stretch of it: n tubes, n equal stretches, a mouth inside each. */
function spanOf(length: number, index: number, count: number): [number, number] {
  return [(length * (index + 0.15)) / count, (length * (index + 0.85)) / count];
}

function endsFrom(
  rows: TankConnection[],
  size: (tankId: string) => { width: number; height: number } | undefined,
) {
  const raw: Array<Omit<TubeEnd, 'span'>> = [];
  for (const r of rows) {
    const common = { connectionId: r.connectionId, direction: r.direction, ratePerMinute: r.ratePerMinute };
    raw.push({
      ...common,
      tankId: r.sourceTankId,
      otherTankId: r.destTankId,
      mouth: r.sourceMouth,
      sends: true,
    });
    raw.push({
      ...common,
      tankId: r.destTankId,
      otherTankId: r.sourceTankId,
      mouth: r.destMouth,
      sends: r.direction === 'both',
    });
  }
  // The ends on each tank edge, in connection id order: each gets its stretch of that edge.
  const edges = new Map<string, string[]>();
  for (const end of raw) {
    const key = `${end.tankId} ${end.mouth}`;
    const ids = edges.get(key);
    if (ids) ids.push(end.connectionId);
    else edges.set(key, [end.connectionId]);
  }
  for (const ids of edges.values()) ids.sort();
  const byTank = new Map<string, TubeEnd[]>();
  for (const end of raw) {
    const dims = size(end.tankId);
    if (!dims) continue;
    const sameEdge = edges.get(`${end.tankId} ${end.mouth}`)!;
    const length = end.mouth === 'left' || end.mouth === 'right' ? dims.height : dims.width;
    const list = byTank.get(end.tankId) ?? [];
    list.push({ ...end, span: spanOf(length, sameEdge.indexOf(end.connectionId), sameEdge.length) });
    byTank.set(end.tankId, list);
  }
  return byTank;
}

/**
 * @example
 * ```ts
 * const book = createTubeBook({ serverId, db, host, logger });
 * book.start();
 * realtime.subscribe((e) => { if (e.type === 'connection_changed') void book.refresh(); });
 * ```
 */
export function createTubeBook({
  serverId,
  db,
  host,
  logger,
  refreshMs = 2000,
  minGapMs = 250,
  onChange = () => {},
}: TubeBookOptions): TubeBook {
  let ends = new Map<string, TubeEnd[]>();
  /** Each tank's ends as text: what tells a change between two reads. */
  let signatures = new Map<string, string>();
  /** The signature each world's mouths were set from; a world restored or adopted since has none. */
  const applied = new WeakMap<World, string>();
  let lastRead = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  /** Sets the mouths of each world whose tubes changed, or that is new here (cheap otherwise). */
  function apply(): void {
    for (const tank of host.list()) {
      const signature = signatures.get(tank.id) ?? '';
      if ((applied.get(tank.world) ?? '') === signature) continue;
      const mouths: SimMouth[] = (ends.get(tank.id) ?? [])
        .filter((e) => e.sends)
        .map((e) => ({ id: e.connectionId, edge: e.mouth, from: e.span[0], to: e.span[1] }));
      setMouths(tank.world, mouths);
      applied.set(tank.world, signature);
    }
  }

  async function readOnce(): Promise<void> {
    lastRead = performance.now();
    const rows = await listConnectionsOnServer(db, serverId);
    const before = signatures;
    ends = endsFrom(rows, (id) => {
      const w = host.get(id)?.world;
      return w && { width: w.width, height: w.height };
    });
    signatures = new Map([...ends].map(([id, list]) => [id, JSON.stringify(list)]));
    apply();
    // Viewers hear of a tube made or cut while they watch, not only in their `hello`.
    for (const id of new Set([...before.keys(), ...signatures.keys()])) {
      if (before.get(id) !== signatures.get(id) && host.get(id)) onChange(id);
    }
  }

  /** One read at a time; a refresh asked for meanwhile runs once more after it. */
  function refresh(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          const wait = lastRead + minGapMs - performance.now();
          if (wait > 0) await delay(wait);
          await readOnce();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  function loop(): void {
    refresh()
      .catch((err) => logger.warn({ err: (err as Error).message }, 'tubes not read; keeping the last ones'))
      .finally(() => {
        if (timer) timer = setTimeout(loop, refreshMs);
      });
  }

  return {
    refresh,
    endsOf: (tankId) => ends.get(tankId) ?? [],
    sending: (tankId, id) => ends.get(tankId)?.find((e) => e.connectionId === id && e.sends),
    arriving: (tankId, id) => ends.get(tankId)?.find((e) => e.connectionId === id),
    view: (tankId) =>
      (ends.get(tankId) ?? []).map((e) => ({
        connection_id: e.connectionId,
        mouth: e.mouth,
        span: e.span,
        other_tank_id: e.otherTankId,
        direction: e.direction,
      })),
    start() {
      timer ??= setTimeout(loop, 0);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
