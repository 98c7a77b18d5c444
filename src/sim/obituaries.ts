/**
 * @module
 * A tank's obituaries: its most recent deaths by uid (cause and frame), a bounded ring kept
 * with the world. Part of the world's state, so a snapshot saves it and a restore rolls it back
 * with the fish: a fish that died after the snapshot is alive again and not in the record, one
 * that died before it is in both. An auditor that counts fish by uid can then tell a fish that
 * died from one that was lost, exactly, as long as it reads the record before it wraps.
 */
import { checker, UID_PATTERN } from './check.ts';
import { SimError } from './errors.ts';
import { DeathCause } from './events.ts';

/**
 * Deaths kept per tank. Snapshots exist for every tank at fleet scale, so the record stays
 * small: about 26 bytes a death of the tank's own fish and 62 of a newcomer's, 3.3–7.9 KB when
 * full, beside some 90 KB for a tank of 67 fish. Yet it covers more than a full tank's turnover
 * (the default maxFish is 100): a reader checking every few seconds misses nothing, and the
 * counters tell it when it would (`complete_since_frame` of `GET /api/tanks/{id}/deaths`).
 */
export const OBITUARY_CAPACITY = 128;

/** One death: whose, why, and the tank's frame it happened in. */
export interface Obituary {
  uid: string;
  cause: DeathCause;
  frame: number;
}

/** The ring: `capacity` slots; the oldest entry is at `start`. */
export interface Obituaries {
  readonly uid: string[];
  readonly cause: DeathCause[];
  readonly frame: number[];
  start: number;
  count: number;
}

export function createObituaries(): Obituaries {
  return {
    uid: new Array<string>(OBITUARY_CAPACITY).fill(''),
    cause: new Array<DeathCause>(OBITUARY_CAPACITY).fill(DeathCause.oldAge),
    frame: new Array<number>(OBITUARY_CAPACITY).fill(0),
    start: 0,
    count: 0,
  };
}

/** Records a death; past capacity the oldest entry gives way. */
export function recordDeath(o: Obituaries, uid: string, cause: DeathCause, frame: number): void {
  let at: number;
  if (o.count < OBITUARY_CAPACITY) at = (o.start + o.count++) % OBITUARY_CAPACITY;
  else {
    at = o.start;
    o.start = (o.start + 1) % OBITUARY_CAPACITY;
  }
  o.uid[at] = uid;
  o.cause[at] = cause;
  o.frame[at] = frame;
}

/**
 * The recorded deaths, oldest first.
 *
 * @example
 * ```ts
 * const died = new Set(listObituaries(world.obituaries).map((d) => d.uid));
 * ```
 */
export function listObituaries(o: Obituaries): Obituary[] {
  const out: Obituary[] = [];
  for (let n = 0; n < o.count; n++) {
    const at = (o.start + n) % OBITUARY_CAPACITY;
    out.push({ uid: o.uid[at]!, cause: o.cause[at]!, frame: o.frame[at]! });
  }
  return out;
}

/** A death as a snapshot holds it: `[uid, cause, frame]`, the tank's own uids without their prefix. */
export type ObituarySnapshot = [uid: string, cause: DeathCause, frame: number];

/** Most deaths are of the tank's own fish: their uid is written from the dot on (`.1k`). */
export function serializeObituaries(o: Obituaries, uidPrefix: string): ObituarySnapshot[] {
  return listObituaries(o).map(({ uid, cause, frame }) => [
    uid.startsWith(`${uidPrefix}.`) ? uid.slice(uidPrefix.length) : uid,
    cause,
    frame,
  ]);
}

const CAUSES = Object.values(DeathCause);

/**
 * Fills `into` from a snapshot's record; `undefined` (a snapshot from before the record) leaves
 * it empty. Throws `SimError('invalid_snapshot')` naming the first bad entry.
 */
export function restoreObituaries(into: Obituaries, list: unknown, uidPrefix: string, frame: number): void {
  if (list === undefined) return;
  const c = checker('invalid_snapshot');
  const entries = c.arr(list, 'deaths');
  if (entries.length > OBITUARY_CAPACITY)
    throw new SimError('invalid_snapshot', `deaths holds at most ${OBITUARY_CAPACITY} entries`);
  let last = 0;
  entries.forEach((raw, n) => {
    const e = c.arr(raw, `deaths[${n}]`);
    if (e.length !== 3) throw new SimError('invalid_snapshot', `deaths[${n}] must be [uid, cause, frame]`);
    const short = typeof e[0] === 'string' && e[0].startsWith('.');
    const uid = c.str(short ? `${uidPrefix}${e[0]}` : e[0], `deaths[${n}][0]`, UID_PATTERN);
    const cause = c.oneOf(e[1], `deaths[${n}][1]`, CAUSES);
    // Oldest first, and none after the world's own frame.
    last = c.int(e[2], `deaths[${n}][2]`, last, frame);
    recordDeath(into, uid, cause, last);
  });
}
