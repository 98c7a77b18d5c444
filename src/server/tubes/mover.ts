/**
 * @module
 * The tube mover: takes the fish the sim lists as departing (`events.departures`) through the
 * tube it chose, within the tube's rate (a token bucket per tube end). Both tanks here: one
 * atomic step in this process, the two journal entries written in one fenced transaction
 * (`journalLocalMove`) while the snapshotter leaves both tanks alone. Another server's tank:
 * the two-phase commit the gateway uses (its coordinator, driven from here; the steps go out
 * batched, signed), so the fish is held out of its world while in flight, put back on an abort
 * (a full destination, an unreachable server) and, if this process dies, finished by the
 * gateways' transfer recovery like any other transfer. A fish the tube cannot take now (no
 * token, a move of it already under way) simply swims on.
 */
import { randomUUID } from 'node:crypto';
import { type EntityPayload, fishIdOf, insertEntity } from '../../sim/index.ts';
import { type Db, getLocation, journalLocalMove } from '../../store/index.ts';
import type { Tank, TankHost } from '../../tank/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { createTokenBucket, type TokenBucket } from '../../tubes/index.ts';
import type { Snapshotter } from '../snapshotter.ts';
import { heldPayload } from '../transfers/held.ts';
import type { TubeBook, TubeEnd } from './book.ts';

/** A move that happened, as the mover reports it (the server publishes it). */
export interface Migration {
  connectionId: string;
  uid: string;
  /** The fish's family (`lineageId` of its payload); a fish from before lineages is its own founder. */
  lineageId: string;
  fromTankId: string;
  toTankId: string;
  fromServerId: string;
  toServerId: string;
  local: boolean;
  /** From the mover's decision to the fish landed (ms): a journalled transaction, or the 2PC. */
  tookMs: number;
}

/** Runs the 2PC of one fish to another server's tank; true when it committed. */
export type RemoteMove = (move: {
  sourceTankId: string;
  destTankId: string;
  entityId: number;
  sourceServer: string;
  destServer: string;
  connectionId: string;
}) => Promise<boolean>;

export interface TubeMoverOptions {
  serverId: string;
  db: Db;
  host: TankHost;
  snapshotter: Snapshotter;
  book: TubeBook;
  logger: Logger;
  /** Absent: tubes to other servers carry nothing (no internal secret to sign the steps). */
  remote?: RemoteMove;
  onMigration: (m: Migration) => void;
  /** Moves under way at once, at most; departures past it wait for a later decision. */
  maxInFlight?: number;
  now?: () => number;
}

export interface TubeMover {
  /** The host calls it with each tick's departures (copied: the sim reuses its array). */
  depart(tank: Tank, departures: ReadonlyArray<{ uid: string; mouth_id: string }>): void;
  /** Resolves when every move under way has ended. */
  idle(): Promise<void>;
  readonly inFlight: number;
}

/** Where a fish coming out of `end` is put: just inside the mouth, at its middle. */
export function arrivalPoint(
  end: TubeEnd,
  world: { width: number; height: number },
): { x: number; y: number } {
  const mid = (end.span[0] + end.span[1]) / 2;
  const inset = 40;
  if (end.mouth === 'left') return { x: inset, y: mid };
  if (end.mouth === 'right') return { x: world.width - inset, y: mid };
  if (end.mouth === 'top') return { x: mid, y: inset + 20 };
  return { x: mid, y: world.height - inset };
}

/** The payload's lineage (a fish from before lineages is its own founder). */
function lineageOf(payload: EntityPayload, uid: string): string {
  const lineage = (payload as { lineageId?: unknown }).lineageId;
  return typeof lineage === 'string' && lineage !== '' ? lineage : uid;
}

/** The lineage of a fish still in its tank's world. */
function lineageInWorld(tank: Tank, uid: string): string {
  const f = tank.world.fish;
  const i = f.uid.indexOf(uid);
  return i >= 0 ? (f.lineage[i] ?? uid) : uid;
}

/**
 * @example
 * ```ts
 * const mover = createTubeMover({ serverId, db, host, snapshotter, book, logger, remote, onMigration });
 * host = createTankHost({ onDepartures: (tank, d) => mover.depart(tank, d) });
 * ```
 */
export function createTubeMover({
  serverId,
  db,
  host,
  snapshotter,
  book,
  logger,
  remote,
  onMigration,
  maxInFlight = 256,
  now = () => performance.now(),
}: TubeMoverOptions): TubeMover {
  const log = logger.child({ part: 'tubes' });
  const buckets = new Map<string, { rate: number; bucket: TokenBucket }>();
  /** Fish whose move is under way: a fish is offered to one tube at a time. */
  const moving = new Set<string>();
  const jobs = new Set<Promise<void>>();

  function bucketOf(end: TubeEnd): TokenBucket {
    const key = `${end.connectionId}/${end.tankId}`;
    const held = buckets.get(key);
    if (held && held.rate === end.ratePerMinute) return held.bucket;
    const bucket = createTokenBucket({ ratePerMinute: end.ratePerMinute, now });
    buckets.set(key, { rate: end.ratePerMinute, bucket });
    return bucket;
  }

  /** Both tanks here: out of one world and into the other, journalled, or not at all. */
  async function moveLocal(
    src: Tank,
    dst: Tank,
    end: TubeEnd,
    uid: string,
  ): Promise<EntityPayload | undefined> {
    return snapshotter.exclusive([src.id, dst.id], async () => {
      if (host.get(src.id) !== src || host.get(dst.id) !== dst) return undefined;
      if (src.frozen || dst.frozen || src.status === 'failed' || dst.status === 'failed') return undefined;
      const oldId = fishIdOf(src.world, uid);
      if (oldId === undefined) return undefined; // died (or was moved) meanwhile
      try {
        dst.holdSlot();
      } catch {
        return undefined; // full: the fish stays where it is
      }
      const payload = src.holdFish(uid);
      src.journalSeq++;
      dst.journalSeq++;
      let written = false;
      try {
        written = await journalLocalMove(db, {
          moveId: randomUUID(),
          serverId,
          entityUid: uid,
          source: {
            tankId: src.id,
            epoch: src.epoch,
            seq: src.journalSeq,
            payload: heldPayload(payload, oldId),
          },
          dest: { tankId: dst.id, epoch: dst.epoch, seq: dst.journalSeq, payload },
        });
      } finally {
        if (!written) {
          // Nothing durable says it left: back into its own slot, and the room given back.
          src.putBackFish(payload, oldId);
          dst.releaseSlot();
        }
      }
      if (!written) return undefined;
      src.releaseSlot();
      const into = book.arriving(dst.id, end.connectionId);
      const at = into ? arrivalPoint(into, dst.world) : {};
      insertEntity(dst.world, payload as EntityPayload, { held: true, ...at });
      dst.touch();
      return payload;
    });
  }

  async function move(src: Tank, end: TubeEnd, uid: string, bucket: TokenBucket): Promise<void> {
    const began = now();
    const dst = host.get(end.otherTankId);
    let moved = false;
    let toServer = serverId;
    let lineageId = uid;
    if (dst) {
      const payload = await moveLocal(src, dst, end, uid);
      moved = payload !== undefined;
      if (payload) lineageId = lineageOf(payload, uid);
    } else if (remote) {
      const entityId = fishIdOf(src.world, uid);
      lineageId = lineageInWorld(src, uid);
      const location = entityId === undefined ? undefined : await getLocation(db, end.otherTankId);
      if (entityId !== undefined && location) {
        toServer = location.serverId;
        moved = await remote({
          sourceTankId: src.id,
          destTankId: end.otherTankId,
          entityId,
          sourceServer: serverId,
          destServer: location.serverId,
          connectionId: end.connectionId,
        });
      }
    }
    if (!moved) {
      bucket.refund();
      return;
    }
    onMigration({
      connectionId: end.connectionId,
      uid,
      lineageId,
      fromTankId: src.id,
      toTankId: end.otherTankId,
      fromServerId: serverId,
      toServerId: toServer,
      local: dst !== undefined,
      tookMs: now() - began,
    });
  }

  function depart(tank: Tank, departures: ReadonlyArray<{ uid: string; mouth_id: string }>): void {
    // Called inside the tank's step: a throw here would stop the tank, so none leaves.
    try {
      offer(tank, departures);
    } catch (err) {
      log.error({ err, tank_id: tank.id }, 'departures not handled');
    }
  }

  function offer(tank: Tank, departures: ReadonlyArray<{ uid: string; mouth_id: string }>): void {
    for (const d of departures) {
      if (moving.has(d.uid) || moving.size >= maxInFlight) continue;
      const end = book.sending(tank.id, d.mouth_id);
      if (!end) continue;
      if (!host.get(end.otherTankId) && !remote) continue;
      const bucket = bucketOf(end);
      if (!bucket.take()) continue;
      moving.add(d.uid);
      const job = move(tank, end, d.uid, bucket)
        .catch((err) => {
          bucket.refund();
          log.warn(
            { err: (err as Error).message, uid: d.uid, connection_id: end.connectionId },
            'tube move failed',
          );
        })
        .finally(() => {
          moving.delete(d.uid);
          jobs.delete(job);
        });
      jobs.add(job);
    }
  }

  return {
    depart,
    async idle() {
      while (jobs.size > 0) await Promise.allSettled([...jobs]);
    },
    get inFlight() {
      return moving.size;
    },
  };
}
