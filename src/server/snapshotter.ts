/**
 * @module
 * The snapshotter: every interval, the tanks that changed are encoded and written to Postgres
 * in one batched, fenced statement, off the tick path (encoding yields to the event loop
 * between tanks); the same statement drops the transfer journal entries the snapshots cover. A tank whose write is fenced has been moved to another server and is stopped
 * here. On SIGTERM `flush()` writes every tank once more, so a clean stop loses nothing.
 */
import { type Db, type NewSnapshot, pruneSnapshots, saveSnapshots } from '../store/index.ts';
import { encodeTankSnapshot, type Tank, type TankHost } from '../tank/index.ts';
import type { Logger } from '../telemetry/index.ts';

export interface SnapshotterOptions {
  serverId: string;
  host: TankHost;
  db: Db;
  logger: Logger;
  intervalMs?: number;
  /** Snapshots kept per tank; older ones are pruned every so often. */
  keep?: number;
  /** A write showed that another server owns the tank now. */
  onFenced: (tankId: string) => void;
  /**
   * False while the server is fenced (its lease ran out, `lease.ts`): no batch is written, not
   * even the final one at a stop; asked before encoding and again just before the write.
   */
  mayWrite?: () => boolean;
  /** Seconds a batch took and how many tanks it saved — for metrics. */
  onBatch?: (info: { seconds: number; tanks: number }) => void;
}

export interface Snapshotter {
  start(): void;
  /**
   * Saves the given tanks (after the transfer steps on them end) or else every changed tank
   * (those inside a step wait for the next batch); resolves when written.
   */
  flush(options?: { all?: boolean; tanks?: Tank[] }): Promise<number>;
  /**
   * Runs `job` while no batch and no other `exclusive` job holds any of `tankIds`: it waits for
   * the jobs queued on them before it and for a batch that may already have encoded one of them,
   * and batches leave them out until it ends. A transfer step that changes a world goes through
   * here, so no snapshot shows a change whose journal entry is not written yet (a failed step
   * is undone in memory, and must not outlive itself in a snapshot).
   */
  exclusive<T>(tankIds: readonly string[], job: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const snapshotter = createSnapshotter({ serverId, host, db, logger, onFenced: (id) => tanks.evict(id) });
 * snapshotter.start();
 * process.on('SIGTERM', async () => { await host.stop(); await snapshotter.flush({ all: true }); });
 * ```
 */
export function createSnapshotter({
  serverId,
  host,
  db,
  logger,
  intervalMs = 5000,
  keep = 10,
  onFenced,
  onBatch = () => {},
  mayWrite = () => true,
}: SnapshotterOptions): Snapshotter {
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<number> = Promise.resolve(0);
  let batches = 0;
  /** Tanks inside a transfer step (see `exclusive`): batches skip them. */
  const busy = new Map<string, number>();
  /**
   * Per tank, the end of the last `exclusive` job queued on it. Jobs on one tank run one after
   * another: each changes the world and writes its journal entry at the tank's next position,
   * so the positions follow the order the changes happened in (a restore replays them so).
   */
  const queued = new Map<string, Promise<void>>();
  /** The batch being encoded and written, and the tanks it may hold. */
  let writing: { tanks: Set<string>; done: Promise<void> } | undefined;

  /**
   * Saves tanks a caller named (`flush({ tanks })`: a snapshot asked for now), taking its turn
   * in their queue of transfer steps like a step would: it waits for the steps queued before it,
   * and those queued after wait for it. A tank with fish going through its tubes is inside a step
   * much of the time, and a snapshot asked for now must be taken, not left out.
   */
  async function saveNamed(named: Tank[]): Promise<number> {
    const ids = named.map((t) => t.id);
    const before = ids.map((id) => queued.get(id));
    let leave = () => {};
    const mine = new Promise<void>((resolve) => (leave = resolve));
    for (const id of ids) queued.set(id, mine);
    try {
      await Promise.all(before);
      // In the same turn: `save` sees none of them busy and marks them as being written.
      return await save(named);
    } finally {
      for (const id of ids) if (queued.get(id) === mine) queued.delete(id);
      leave();
    }
  }

  async function save(all: Tank[]): Promise<number> {
    const tanks = all.filter((t) => !busy.has(t.id));
    if (tanks.length === 0 || !mayWrite()) return 0;
    let finish = () => {};
    writing = { tanks: new Set(tanks.map((t) => t.id)), done: new Promise<void>((r) => (finish = r)) };
    try {
      return await saveBatch(tanks);
    } finally {
      writing = undefined;
      finish();
    }
  }

  async function saveBatch(tanks: Tank[]): Promise<number> {
    const began = performance.now();
    const rows: NewSnapshot[] = [];
    const frames = new Map<string, number>();
    let sliceStart = began;
    for (const tank of tanks) {
      if (!host.get(tank.id)) continue;
      rows.push({
        tankId: tank.id,
        serverId,
        epoch: tank.epoch,
        frame: tank.world.frame,
        state: encodeTankSnapshot(tank),
        // Encoded outside any transfer step (see `exclusive`): every journal entry up to here is in it.
        journalSeq: tank.journalSeq,
      });
      frames.set(tank.id, tank.world.frame);
      if (performance.now() - sliceStart > 5) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    // Encoding yielded: the lease may have run out (or the process been paused) meanwhile.
    if (!mayWrite()) return 0;
    const { saved, fenced } = await saveSnapshots(db, rows);
    for (const s of saved) host.get(s.tankId)?.markSaved(frames.get(s.tankId) ?? s.frame);
    for (const tankId of fenced) onFenced(tankId);
    onBatch({ seconds: (performance.now() - began) / 1000, tanks: saved.length });
    if (++batches % 60 === 0) await pruneSnapshots(db, { keep });
    return saved.length;
  }

  function flush({ all = false, tanks }: { all?: boolean; tanks?: Tank[] } = {}): Promise<number> {
    // One batch at a time: a flush queued behind another picks its tanks when its turn comes,
    // so it writes only what is still dirty then.
    const result = chain.then(() =>
      tanks ? saveNamed(tanks) : save(host.list().filter((t) => all || t.dirty)),
    );
    chain = result.catch(() => 0);
    return result;
  }

  async function exclusive<T>(tankIds: readonly string[], job: () => Promise<T>): Promise<T> {
    // Queued behind the steps already on these tanks, all in one synchronous step (so the queue
    // order is the call order and two jobs can never wait for each other).
    const before = tankIds.map((id) => queued.get(id));
    let leave = () => {};
    const mine = new Promise<void>((resolve) => (leave = resolve));
    for (const id of tankIds) queued.set(id, mine);
    try {
      await Promise.all(before);
      while (writing && tankIds.some((id) => writing?.tanks.has(id))) await writing.done;
      for (const id of tankIds) busy.set(id, (busy.get(id) ?? 0) + 1);
      try {
        return await job();
      } finally {
        for (const id of tankIds) {
          const n = (busy.get(id) ?? 1) - 1;
          if (n === 0) busy.delete(id);
          else busy.set(id, n);
        }
      }
    } finally {
      for (const id of tankIds) if (queued.get(id) === mine) queued.delete(id);
      leave();
    }
  }

  /** Whether the last periodic batch failed: logged once per change, not once per interval. */
  let failing = false;

  function tick(): void {
    flush()
      .then(() => {
        if (!failing) return;
        failing = false;
        logger.info('snapshots saved again');
      })
      .catch((err) => {
        if (failing) return;
        failing = true;
        // The dirty tanks stay dirty, so the first batch that succeeds saves them all.
        logger.warn(
          { err: (err as Error).message, code: (err as { code?: unknown }).code },
          'snapshots failing; tanks keep running, retrying every interval',
        );
      })
      .finally(() => {
        if (timer) timer = setTimeout(tick, intervalMs);
      });
  }

  return {
    start() {
      timer ??= setTimeout(tick, intervalMs);
    },
    flush,
    exclusive,
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
    },
  };
}
