/**
 * @module
 * What the partition tests share besides the fleet: the fast timing profile they run with, the
 * gateway's lookup shape, and a viewer that decodes its frames in order, so a test can say
 * which simulation frame a server last streamed.
 */
import { createFrameDecoder } from '../../src/tank/wire/index.ts';
import { openViewer, type TestViewer } from '../server/viewer.ts';

/**
 * Short timings (the environment of every process, the same for all as docs/failover.md asks):
 * a TTL pass every 500 ms against a 2 s TTL, so a 1.5 s lease (the TTL less a 500 ms margin);
 * the gateway restores a server's tanks after its check has been critical for the margin plus
 * one failover round (1 s); a snapshot a second. Slower than `FLEET_PROFILE=fast` (250 ms, 1 s),
 * which a loaded test machine could miss a lease by.
 */
export const FAST = {
  HEARTBEAT_MS: '500',
  CHECK_TTL: '2s',
  LEASE_MARGIN_MS: '500',
  FAILOVER_GRACE_MS: '1000',
  SNAPSHOT_INTERVAL_MS: '1000',
  DEREGISTER_AFTER: '1m',
} as const;

/**
 * Check states of a server whose TTL passes reach Consul: `warning` is a passing server that
 * reports itself saturated (dropped ticks on a loaded machine), not a missed pass.
 */
export const PASSES = new Set(['passing', 'warning']);

/** Fish per tank at creation. */
export const TANK_FISH = 8;

/** The close code and message type a fenced server sends its viewers. */
export const FENCED = { code: 4503, type: 'fenced' } as const;

export interface Lookup {
  tank: { tank_id: string; server_id: string; epoch: number };
  server: { server_id: string };
  websocket_url: string;
}

export interface FrameViewer extends TestViewer {
  /** The simulation frame of the newest frame decoded, -1 before the first. */
  lastFrame(): number;
  /** Frames decoded so far. */
  count(): number;
}

/**
 * A viewer of `websocketUrl` whose binary frames are decoded as they arrive.
 *
 * @example
 * ```ts
 * const viewer = watchTank(lookup.websocket_url, token);
 * await waitFor(() => viewer.count() >= 3, { what: 'three frames' });
 * ```
 */
export function watchTank(websocketUrl: string, token: string): FrameViewer {
  const viewer = openViewer(`${websocketUrl}?token=${token}`);
  const decoder = createFrameDecoder();
  let last = -1;
  let count = 0;
  viewer.ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const frame = decoder.decode(new Uint8Array(bytes));
    if (frame) {
      last = Math.max(last, frame.frame);
      count++;
    }
  });
  return Object.assign(viewer, { lastFrame: () => last, count: () => count });
}

/** How long one HTTP call of a test may take: generous, the machine may be shared and loaded. */
const CALL_TIMEOUT_MS = 20_000;

/**
 * `fetch` with a bounded wait whose failure names the request (a bare `TimeoutError` does not
 * say which call of a test timed out).
 *
 * @example
 * ```ts
 * const res = await request(`${island.url}/health`);
 * ```
 */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${(err as Error).message}`, { cause: err });
  }
}
