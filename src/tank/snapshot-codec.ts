/**
 * @module
 * What a tank's row in `tank_snapshots.state` holds: the world's plain-JSON snapshot (RNG state
 * and frame included) and whether the tank was paused. Metadata lives in `tanks`, ownership in
 * `tank_locations`, so a snapshot is only the simulation.
 */

// Type-only: the web viewer bundles src/tank, and must not pull in the HTTP layer.
import type { ProblemCode } from '../http/index.ts';
import { restore, serialize as serializeWorld, type World, type WorldSnapshot } from '../sim/index.ts';
import type { Tank } from './tank.ts';

export const TANK_SNAPSHOT_VERSION = 1;

export interface TankSnapshotState {
  version: typeof TANK_SNAPSHOT_VERSION;
  paused: boolean;
  world: WorldSnapshot;
  /**
   * The tank's journal position when the snapshot was taken: every journal entry at or before
   * it is in the world already (src/server/transfers/held.ts). Absent in older snapshots (0).
   */
  journalSeq?: number;
}

/** Thrown when a stored state cannot be read back; the sim's own errors pass through. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
  readonly code = 'invalid_snapshot' satisfies ProblemCode;
}

export function encodeTankSnapshot(tank: Tank): TankSnapshotState {
  return {
    version: TANK_SNAPSHOT_VERSION,
    paused: tank.status === 'paused',
    world: serializeWorld(tank.world),
    journalSeq: tank.journalSeq,
  };
}

/**
 * @example
 * ```ts
 * const { world, paused } = decodeTankSnapshot(row.state);
 * host.add(createTank({ id: row.tankId, meta, world, paused, epoch }));
 * ```
 */
export function decodeTankSnapshot(state: unknown): { world: World; paused: boolean; journalSeq: number } {
  const s = state as Partial<TankSnapshotState> | null;
  if (!s || typeof s !== 'object' || s.version !== TANK_SNAPSHOT_VERSION || typeof s.world !== 'object') {
    throw new SnapshotFormatError(`not a version ${TANK_SNAPSHOT_VERSION} tank snapshot`);
  }
  const journalSeq = s.journalSeq ?? 0;
  if (!Number.isSafeInteger(journalSeq) || journalSeq < 0) {
    throw new SnapshotFormatError('journalSeq must be a whole number, 0 or more');
  }
  return { world: restore(s.world), paused: s.paused === true, journalSeq };
}
