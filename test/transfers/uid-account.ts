/**
 * @module
 * An account of fish by uid across a run with kills: every fish seen alive at a checkpoint must
 * end either alive in exactly one tank or dead in exactly one tank's record — none both, none
 * neither. A checkpoint is a census of every tank, THEN a snapshot of every tank, THEN each
 * tank's death record (`GET /api/tanks/{id}/deaths`): a kill can only roll a tank back to a
 * snapshot taken after the census, so every uid seen is durable, and a death at or before the
 * snapshot's frame is in the tank's history for good ("buried"). A death after it may still be
 * undone by a kill (the fish alive again); the next checkpoint, or the end, decides. The record
 * is bounded: each reading must be complete since the frame after the last snapshot the account
 * read that tank's deaths at, or a death could have slipped by unseen; `read` says so, and the
 * caller fails on it rather than count less.
 */

export interface DeathRecord {
  tank_id: string;
  complete_since_frame: number;
  deaths: ReadonlyArray<{ uid: string; frame: number }>;
}

export interface AccountResult {
  /** Uids seen alive at any checkpoint (or at the end). */
  accounted: number;
  alive: number;
  dead: number;
  /** Seen, and now neither alive anywhere nor in any record. */
  lost: string[];
  /** Alive and dead, or dead in two tanks: where each was found. */
  duplicated: Array<{ uid: string; alive: string | null; dead: string[] }>;
}

export interface UidAccount {
  /** A census: uid → the tank it lives in. */
  observe(census: ReadonlyMap<string, string>): void;
  /**
   * A tank's death record read after a snapshot of it at `snapshotFrame` (`Infinity` at the
   * end, when nothing can roll back any more). Answers what is wrong with the reading (it may
   * have lost deaths since the last one), or undefined.
   */
  read(record: DeathRecord, snapshotFrame: number): string | undefined;
  /** The verdict, from the final census (every tank paused, nothing in flight). */
  close(census: ReadonlyMap<string, string>): AccountResult;
  /** Where a uid was seen, census by census, and every death of it read (durable or not): a failure's story. */
  trail(uid: string): string[];
}

/**
 * @example
 * ```ts
 * const account = createUidAccount();
 * account.observe(await census());
 * for (const t of tanks) expect(account.read(await deathsOf(t), (await snapshot(t)).frame)).toBeUndefined();
 * const { lost, duplicated } = account.close(await census());
 * ```
 */
export function createUidAccount(): UidAccount {
  const seen = new Set<string>();
  /** uid → the tanks a durable death of it was read in. */
  const buried = new Map<string, Set<string>>();
  /** Per tank, the snapshot frame its deaths were last read at: every death up to it is buried. */
  const readUpTo = new Map<string, number>();
  const trails = new Map<string, string[]>();
  let censuses = 0;
  const note = (uid: string, line: string) => {
    const lines = trails.get(uid) ?? [];
    lines.push(line);
    trails.set(uid, lines);
  };

  return {
    observe(census) {
      censuses++;
      for (const [uid, tank] of census) {
        seen.add(uid);
        note(uid, `census ${censuses}: alive in ${tank}`);
      }
    },
    read(record, snapshotFrame) {
      const since = (readUpTo.get(record.tank_id) ?? -1) + 1;
      if (record.complete_since_frame > since) {
        return `tank ${record.tank_id}: its death record is complete only since frame ${record.complete_since_frame}, the account needs it since ${since}`;
      }
      for (const d of record.deaths) {
        const death = `dead in ${record.tank_id} at frame ${d.frame}`;
        if (!(trails.get(d.uid) ?? []).some((l) => l.includes(death)))
          note(d.uid, `census ${censuses}: ${death} (read after a snapshot at ${snapshotFrame})`);
        if (d.frame > snapshotFrame) continue;
        const tanks = buried.get(d.uid) ?? new Set<string>();
        tanks.add(record.tank_id);
        buried.set(d.uid, tanks);
      }
      readUpTo.set(record.tank_id, Math.max(readUpTo.get(record.tank_id) ?? -1, snapshotFrame));
      return undefined;
    },
    close(census) {
      for (const uid of census.keys()) seen.add(uid);
      const result: AccountResult = { accounted: seen.size, alive: 0, dead: 0, lost: [], duplicated: [] };
      for (const uid of seen) {
        const home = census.get(uid) ?? null;
        const graves = [...(buried.get(uid) ?? [])];
        if (home !== null && graves.length === 0) result.alive++;
        else if (home === null && graves.length === 1) result.dead++;
        else if (home === null && graves.length === 0) result.lost.push(uid);
        else result.duplicated.push({ uid, alive: home, dead: graves });
      }
      return result;
    },
    trail: (uid) => trails.get(uid) ?? [],
  };
}
