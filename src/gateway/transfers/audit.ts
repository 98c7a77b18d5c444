/**
 * @module
 * The network audit: every fish uid must be in exactly one place — one tank, or one open
 * source reservation (a fish held out of its tank by a transfer in flight). A uid that is both
 * in its transfer's destination tank and still held by the source is a commit half done (the
 * source has not dropped its hold yet): one fish, listed as in flight. Anything else found
 * twice is a duplicate. A server that cannot be asked makes the audit inconclusive.
 */

import type { Participants } from '../../coordinator/index.ts';
import { type Db, getTransfer, listReservations } from '../../store/index.ts';

export interface AuditReport {
  ok: boolean;
  checked_at: string;
  servers: string[];
  unreachable: string[];
  tanks: number;
  fish: number;
  /** Open reservations (source holds and destination room). */
  reservations: number;
  held: number;
  in_flight: Array<{ uid: string; transfer_id: string }>;
  duplicated: Array<{ uid: string; places: string[] }>;
}

/**
 * @example
 * ```ts
 * const report = await runAudit({ db, participants, serverIds: directory.all().map((s) => s.serverId) });
 * if (!report.ok) console.error(report.duplicated);
 * ```
 */
export async function runAudit({
  db,
  participants,
  serverIds,
}: {
  db: Db;
  participants: Participants;
  serverIds: readonly string[];
}): Promise<AuditReport> {
  const places = new Map<string, string[]>();
  const add = (uid: string, place: string) => {
    const list = places.get(uid);
    if (list) list.push(place);
    else places.set(uid, [place]);
  };
  const unreachable: string[] = [];
  const tankOf = new Map<string, string[]>();
  let tanks = 0;
  const censuses = await Promise.all(
    serverIds.map((id) =>
      participants.census(id).catch(() => {
        unreachable.push(id);
        return undefined;
      }),
    ),
  );
  for (const census of censuses) {
    if (!census) continue;
    for (const tank of census.tanks) {
      tanks++;
      for (const uid of tank.uids) {
        add(uid, `tank:${tank.tank_id}`);
        tankOf.set(uid, [...(tankOf.get(uid) ?? []), tank.tank_id]);
      }
    }
  }
  const reservations = await listReservations(db);
  const inFlight: AuditReport['in_flight'] = [];
  let held = 0;
  for (const r of reservations) {
    if (r.role !== 'source') continue;
    held++;
    const transfer = (await getTransfer(db, r.transferId))?.transfer;
    const inDest = transfer !== undefined && (tankOf.get(r.entityUid) ?? []).includes(transfer.destTankId);
    if (inDest && transfer.status !== 'aborted')
      inFlight.push({ uid: r.entityUid, transfer_id: r.transferId });
    else add(r.entityUid, `reservation:${r.transferId}`);
  }
  const duplicated = [...places]
    .filter(([, where]) => where.length > 1)
    .map(([uid, where]) => ({ uid, places: where }));
  return {
    ok: duplicated.length === 0 && unreachable.length === 0,
    checked_at: new Date().toISOString(),
    servers: [...serverIds],
    unreachable,
    tanks,
    fish: places.size,
    reservations: reservations.length,
    held,
    in_flight: inFlight,
    duplicated,
  };
}
