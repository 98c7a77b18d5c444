/**
 * @module
 * The viewer side of a move, measured (`followViewers`): many WebSocket viewers that do what the
 * browser viewer does — follow a `moved` message (close 4307) straight to the new server, and
 * on any other close look the tank up at the gateway and reconnect — and record, per follow,
 * the gap (last frame from the old server → first frame from the new one) and how many frames
 * the tank skipped beyond what the gap explains at the tick rate (a rewind counts apart).
 * `bench/moves.ts` runs it in a child process; `bench failover` can call it the same way.
 */
import WebSocket from 'ws';

export interface FollowOptions {
  /** The gateway, for the lookup after a close that was not a live move. */
  gatewayUrl: string;
  /** A user token that may read every tank. */
  token: string;
  /** Viewers are spread round-robin over these tanks. */
  tanks: Array<{ tankId: string; websocketUrl: string }>;
  viewers: number;
  /** The servers' tick rate (frames per second of the tank's counter). */
  tickHz?: number;
  /** Ticks between two broadcasts (tickHz / broadcastHz): the frame step a viewer normally sees. */
  ticksPerBroadcast?: number;
}

export interface GapReport {
  /** Milliseconds from the last frame before a follow to the first one after it, one per follow. */
  gaps: number[];
  /** Follows by a `moved` message; follows by a lookup after another close. */
  followed: number;
  lookedUp: number;
  /** Frames the tank advanced beyond what the gap explains, summed over follows (goal 0). */
  skipped: number;
  /** Follows whose first new frame was older than the last old one (goal 0). */
  rewinds: number;
  /** Viewers with an open socket now. */
  connected: number;
}

export interface ViewerFollow {
  /** Resolves once every viewer has its first frame. */
  ready: Promise<void>;
  /** The follows since the last `reset`. */
  report(): GapReport;
  reset(): void;
  close(): void;
}

/** The frame number in a binary frame's header (`src/tank/wire/format.ts`: u8 magic, u8 kind, u8 seq, u32 frame). */
function frameOf(data: Buffer): number {
  return data.readUInt32LE(3);
}

/**
 * @example
 * ```ts
 * const follow = followViewers({ gatewayUrl, token, tanks, viewers: 1000 });
 * await follow.ready;
 * follow.reset(); await drainSomething(); const { gaps, connected } = follow.report();
 * ```
 */
export function followViewers({
  gatewayUrl,
  token,
  tanks,
  viewers,
  tickHz = 30,
  ticksPerBroadcast = 2,
}: FollowOptions): ViewerFollow {
  let report: GapReport = { gaps: [], followed: 0, lookedUp: 0, skipped: 0, rewinds: 0, connected: 0 };
  const sockets = new Set<WebSocket>();
  let closing = false;
  let pendingFirst = viewers;
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  async function lookup(tankId: string): Promise<string> {
    for (;;) {
      try {
        const res = await fetch(`${gatewayUrl}/gateway/tanks/${tankId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (res.ok) return ((await res.json()) as { websocket_url: string }).websocket_url;
      } catch {
        // The gateway is reached again on the next try.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One socket of a viewer; `onFirst` is the viewer's own, called on every frame (it counts the first). */
  function open(
    tankId: string,
    url: string,
    last: { at: number; frame: number; how: 'moved' | 'lookup' } | undefined,
    onFirst: () => void,
  ): void {
    if (closing) return;
    const ws = new WebSocket(`${url}?token=${token}`, { perMessageDeflate: false });
    sockets.add(ws);
    // A socket that closes before its first frame hands the same `previous` on: the gap runs on.
    let previous = last;
    let lastAt = 0;
    let lastFrame = 0;
    let moved: string | undefined;
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const text = JSON.parse(data.toString()) as { type: string; websocket_url?: string };
        if (text.type === 'moved') moved = text.websocket_url;
        return;
      }
      lastAt = performance.now();
      lastFrame = frameOf(data);
      onFirst();
      if (previous && previous.at > 0) {
        const gap = lastAt - previous.at;
        report.gaps.push(gap);
        if (previous.how === 'moved') report.followed++;
        else report.lookedUp++;
        const advanced = lastFrame - previous.frame;
        if (advanced < 0) report.rewinds++;
        else report.skipped += Math.max(0, advanced - Math.ceil((gap / 1000) * tickHz) - ticksPerBroadcast);
        previous = undefined;
      }
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      sockets.delete(ws);
      if (closing) return;
      const before = previous ?? { at: lastAt, frame: lastFrame, how: 'lookup' as const };
      if (code === 4307 && moved) {
        open(tankId, moved, { ...before, how: 'moved' }, onFirst);
        return;
      }
      void lookup(tankId).then((next) => open(tankId, next, { ...before, how: 'lookup' }, onFirst));
    });
  }

  for (let i = 0; i < viewers; i++) {
    const tank = tanks[i % tanks.length]!;
    let seen = false;
    open(tank.tankId, tank.websocketUrl, undefined, () => {
      if (seen) return;
      seen = true;
      if (--pendingFirst === 0) markReady();
    });
  }

  return {
    ready,
    report() {
      let connected = 0;
      for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) connected++;
      return { ...report, gaps: [...report.gaps], connected };
    },
    reset() {
      report = { gaps: [], followed: 0, lookedUp: 0, skipped: 0, rewinds: 0, connected: 0 };
    },
    close() {
      closing = true;
      for (const ws of sockets) ws.terminate();
    },
  };
}

/** The q-quantile (0..1) of `values`, nearest rank; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
