/**
 * @module
 * One measured SIGKILL of `bench/failover.ts`: the fish of each tank on the victim are read
 * just before (live, and in the last saved snapshot), the victim is SIGKILLed, and from that
 * moment the gateway's lookup of a watched tank is polled until it stops naming the dead server,
 * while a viewer follows it as a browser would (look up, open the WebSocket, retry) until a
 * frame arrives from another server. Then each tank's fish are read where it was restored.
 */
import type postgres from 'postgres';
import WebSocket from 'ws';
import { waitFor } from '../../src/mesh/index.ts';
import type { SoakRig } from './soak-rig.ts';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TankLoss {
  tankId: string;
  paused: boolean;
  /** Live fish at the kill found nowhere in the restored tank. */
  lost: number;
  /** Live fish at the kill that the last snapshot did not hold (born since it): the bound. */
  bornSinceSnapshot: number;
  /** Fish of the last snapshot, alive at the kill, missing from the restored tank (0 expected). */
  snapshotFishMissing: number;
}

export interface KillMeasure {
  victim: string;
  /** ms from the SIGKILL to the first lookup that does not name the victim. */
  lookupMs: number;
  /** ms from the SIGKILL to the first frame of the watched tank from another server. */
  streamMs: number;
  tanks: TankLoss[];
}

interface Lookup {
  server?: { server_id: string };
  websocket_url?: string;
}

async function uidsLive(rig: SoakRig, url: string, tankId: string): Promise<Set<string> | undefined> {
  const res = await rig.call(`${url}/api/tanks/${tankId}/entities?kind=fish`).catch(() => undefined);
  if (res?.status !== 200) return undefined;
  return new Set((res.body as { entities: Array<{ uid: string }> }).entities.map((f) => f.uid));
}

/** Resolves true on the first binary frame, false on a refusal, a close or after `timeoutMs`. */
function firstFrame(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    ws.on('message', (_data, isBinary) => isBinary && done(true));
    ws.on('error', () => done(false));
    ws.on('close', () => done(false));
  });
}

export async function measureKill({
  rig,
  sql,
  victim,
  watched,
  paused,
}: {
  rig: SoakRig;
  sql: postgres.Sql;
  victim: string;
  /** The tank whose lookup and stream are timed (one of the victim's). */
  watched: string;
  /** The tanks on the victim and whether each is paused. */
  paused: Map<string, boolean>;
}): Promise<KillMeasure> {
  const victimUrl = rig.serverUrls.get(victim)!;
  const before = new Map<string, { live: Set<string>; saved: Set<string> }>();
  for (const tankId of paused.keys()) {
    const [row] = await sql<Array<{ uids: string[] }>>`select
      jsonb_path_query_array(state, '$.world.fish[*].uid') as uids from tank_snapshots
      where tank_id = ${tankId} order by created_at desc limit 1`;
    const live = await uidsLive(rig, victimUrl, tankId);
    if (!live) throw new Error(`tank ${tankId} does not answer on ${victim} before the kill`);
    before.set(tankId, { live, saved: new Set(row?.uids ?? []) });
  }

  const began = performance.now();
  await rig.servers.get(victim)!.kill('SIGKILL');
  const lookup = async (): Promise<{ status: number; body: Lookup } | undefined> =>
    (await rig.call(`${rig.gatewayUrl}/gateway/tanks/${watched}`).catch(() => undefined)) as never;
  const lookupGone = (async () => {
    for (;;) {
      const res = await lookup();
      if (res && (res.status !== 200 || res.body.server?.server_id !== victim))
        return performance.now() - began;
      await delay(20);
    }
  })();
  const streaming = (async () => {
    for (;;) {
      const res = await lookup();
      const at = res?.status === 200 ? res.body : undefined;
      if (at?.server && at.server.server_id !== victim && at.websocket_url) {
        if (await firstFrame(`${at.websocket_url}?token=${rig.token}`, 3000))
          return performance.now() - began;
      }
      await delay(20);
    }
  })();
  const [lookupMs, streamMs] = await Promise.all([lookupGone, streaming]);

  const tanks: TankLoss[] = [];
  for (const [tankId, { live, saved }] of before) {
    const restored = await waitFor(
      async () => {
        const [at] = await sql<Array<{ server_id: string }>>`select server_id from tank_locations
          where tank_id = ${tankId}`;
        const url = at && at.server_id !== victim ? rig.serverUrls.get(at.server_id) : undefined;
        return url ? uidsLive(rig, url, tankId) : undefined;
      },
      { what: `tank ${tankId} restored off ${victim}`, timeout: 180_000, interval: 20 },
    );
    const liveList = [...live];
    tanks.push({
      tankId,
      paused: paused.get(tankId)!,
      lost: liveList.filter((uid) => !restored.has(uid)).length,
      bornSinceSnapshot: liveList.filter((uid) => !saved.has(uid)).length,
      snapshotFishMissing: liveList.filter((uid) => saved.has(uid) && !restored.has(uid)).length,
    });
  }
  return { victim, lookupMs, streamMs, tanks };
}
