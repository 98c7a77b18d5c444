/**
 * @module
 * The gateway's WebSocket relay for `bench/ws.ts`: the round trip of a `ping` straight to the
 * tank server and through a gateway's `/ws/<tank_id>` (alternating, one at a time, so both see
 * the same machine), whose difference is the latency the relay adds; and the gateway's CPU per
 * relayed viewer, as the process's CPU with N relayed viewers minus its CPU with N direct ones
 * (the server's share is the same: a relay is one upstream viewer to it). Not a benchmark on
 * its own.
 */
import WebSocket from 'ws';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** One ping's round trip on `ws`, in ms (frames in between are ignored). */
function roundTrip(ws: WebSocket, id: number): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const text = data.toString('utf8');
      if (!text.startsWith('{"type":"pong"') || !text.includes(`"id":${id},`)) return;
      ws.off('message', onMessage);
      resolve(performance.now() - started);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'ping', id }));
  });
}

export interface LatencyResult {
  direct: { p50: number; p95: number; p99: number };
  relayed: { p50: number; p95: number; p99: number };
}

/**
 * @example
 * ```ts
 * const { direct, relayed } = await relayLatency({ directUrl, relayUrl, samples: 2000 });
 * ```
 */
export async function relayLatency({
  directUrl,
  relayUrl,
  samples,
}: {
  directUrl: string;
  relayUrl: string;
  samples: number;
}): Promise<LatencyResult> {
  const direct = await connect(directUrl);
  const relayed = await connect(relayUrl);
  const times = { direct: [] as number[], relayed: [] as number[] };
  for (let i = 0; i < samples + 100; i++) {
    const d = await roundTrip(direct, i);
    const r = await roundTrip(relayed, i);
    // The first hundred warm the JIT and the connections.
    if (i < 100) continue;
    times.direct.push(d);
    times.relayed.push(r);
  }
  direct.terminate();
  relayed.terminate();
  const summary = (list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
  };
  return { direct: summary(times.direct), relayed: summary(times.relayed) };
}
