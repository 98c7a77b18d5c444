/**
 * @module
 * The tubes of this server's tanks, as the database has them (`tank_connections`): read again
 * every `refreshMs` and whenever a `connection_changed` event names a tank here. Each tube end
 * becomes a mouth on its tank's edge: the ends fish may leave through are set on the world
 * (`setMouths`) at every refresh, so a tank that arrived, or a world restored since, gets them
 * back; every end (arrivals included) is listed to viewers (`tubes`).
 */
import { type Mouth as SimMouth, setMouths } from '../../sim/index.ts';
import {
  type Db,
  listConnectionsOfTanks,
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
  db: Db;
  host: TankHost;
  logger: Logger;
  refreshMs?: number;
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
  const byTank = new Map<string, TubeEnd[]>();
  for (const end of raw) {
    const dims = size(end.tankId);
    if (!dims) continue;
    const sameEdge = raw
      .filter((e) => e.tankId === end.tankId && e.mouth === end.mouth)
      .map((e) => e.connectionId)
      .sort();
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
 * const book = createTubeBook({ db, host, logger });
 * book.start();
 * realtime.subscribe((e) => { if (e.type === 'connection_changed') void book.refresh(); });
 * ```
 */
export function createTubeBook({
  db,
  host,
  logger,
  refreshMs = 2000,
  onChange = () => {},
}: TubeBookOptions): TubeBook {
  let ends = new Map<string, TubeEnd[]>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  function apply(): void {
    for (const tank of host.list()) {
      const mouths: SimMouth[] = (ends.get(tank.id) ?? [])
        .filter((e) => e.sends)
        .map((e) => ({ id: e.connectionId, edge: e.mouth, from: e.span[0], to: e.span[1] }));
      setMouths(tank.world, mouths);
    }
  }

  async function readOnce(): Promise<void> {
    const tanks = host.list();
    const rows = await listConnectionsOfTanks(
      db,
      tanks.map((t) => t.id),
    );
    const before = ends;
    ends = endsFrom(rows, (id) => {
      const w = host.get(id)?.world;
      return w && { width: w.width, height: w.height };
    });
    apply();
    // Viewers hear of a tube made or cut while they watch, not only in their `hello`.
    for (const tank of tanks) {
      if (JSON.stringify(before.get(tank.id) ?? []) !== JSON.stringify(ends.get(tank.id) ?? []))
        onChange(tank.id);
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
