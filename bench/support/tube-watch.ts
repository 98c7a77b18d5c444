/**
 * @module
 * What `npm run bench tubes` watches: the network's `migration` events (from real-time state,
 * as the gateway's SSE feed relays them), counted local or across servers, and one viewer per
 * tank on the tank's own WebSocket, where a fish's `fish_left` (its source) and `fish_arrived`
 * (its destination) give the latency of each migration as a user watching both tanks sees it.
 */
import WebSocket from 'ws';
import type { Realtime } from '../../src/realtime/index.ts';

export interface MigrationTally {
  local: number;
  remote: number;
  /** Milliseconds from `fish_left` to `fish_arrived`, per migration across servers / within one. */
  remoteMs: number[];
  localMs: number[];
}

export interface TubeWatch {
  /** Starts counting afresh (the window being measured). */
  reset(): void;
  tally(): MigrationTally;
  close(): Promise<void>;
}

export interface TubeWatchOptions {
  realtime: Realtime;
  token: string;
  /** Each tank to watch: its id, its server and that server's WebSocket URL. */
  tanks: ReadonlyArray<{ tankId: string; serverId: string; websocketUrl: string }>;
}

function openViewer(url: string, onText: (message: Record<string, string>) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) onText(JSON.parse(data.toString()) as Record<string, string>);
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * @example
 * ```ts
 * const watch = await watchTubes({ realtime, token, tanks });
 * watch.reset(); await sleep(20_000); const { local, remote, remoteMs } = watch.tally();
 * ```
 */
export async function watchTubes({ realtime, token, tanks }: TubeWatchOptions): Promise<TubeWatch> {
  let tally: MigrationTally = { local: 0, remote: 0, remoteMs: [], localMs: [] };
  /** Fish seen leaving, by uid: when. */
  const leaving = new Map<string, number>();
  const serverOf = new Map(tanks.map((t) => [t.tankId, t.serverId]));
  const unsubscribe = await realtime.subscribe((event) => {
    if (event.type !== 'migration') return;
    if (event.local) tally.local++;
    else tally.remote++;
  });
  const viewers = await Promise.all(
    tanks.map(({ websocketUrl, serverId }) =>
      openViewer(`${websocketUrl}?token=${encodeURIComponent(token)}`, (message) => {
        const now = performance.now();
        if (message.type === 'fish_left') leaving.set(message.uid!, now);
        if (message.type !== 'fish_arrived') return;
        const left = leaving.get(message.uid!);
        if (left === undefined) return;
        leaving.delete(message.uid!);
        const local = serverOf.get(message.from_tank_id!) === serverId;
        (local ? tally.localMs : tally.remoteMs).push(now - left);
      }),
    ),
  );
  return {
    reset() {
      tally = { local: 0, remote: 0, remoteMs: [], localMs: [] };
      leaving.clear();
    },
    tally: () => tally,
    async close() {
      for (const ws of viewers) ws.close();
      await unsubscribe();
    },
  };
}
