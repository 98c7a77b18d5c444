/**
 * @module
 * The viewer load generator for `bench/ws.ts`, run in its own process (and core): opens N
 * WebSockets spread over the given tanks, counts binary frames and their bytes, and reports to
 * its parent over IPC. Not a benchmark on its own.
 *
 * It speaks the protocol over plain TCP sockets (the handshake, then a minimal frame reader that
 * only counts and answers pings) rather than with `ws` clients: at 10,000 viewers × 15 Hz the
 * generator takes 150,000 messages a second on one core, and a `ws` client's per-message
 * parsing and events made the generator, not the server, the limit (its frames arrived late and
 * fell out of the measured window).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

interface Start {
  urls: string[];
  viewers: number;
  seconds: number;
}

/** Frames and bytes of binary payload seen by all viewers (reset when measuring starts). */
const seen = { frames: 0, bytes: 0 };

/** An empty masked client pong (opcode 10): `ws` closes a viewer that does not answer pings. */
const PONG = Buffer.from([0x8a, 0x80, 0, 0, 0, 0]);

/**
 * A frame reader for one server socket (server frames are unmasked). Keeps only what it must
 * across reads: the bytes of a header split between two reads, and how much payload to skip.
 */
function createFrameCounter(socket: net.Socket) {
  let partial: Buffer | undefined;
  let skip = 0;
  return function onData(chunk: Buffer): void {
    const buf = partial ? Buffer.concat([partial, chunk]) : chunk;
    partial = undefined;
    let at = 0;
    if (skip > 0) {
      const n = Math.min(skip, buf.length);
      skip -= n;
      at = n;
    }
    while (at < buf.length) {
      if (buf.length - at < 2) break;
      const opcode = buf[at]! & 0x0f;
      let length = buf[at + 1]! & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        start = at + 10;
      }
      if (opcode === 0x2) {
        seen.frames++;
        seen.bytes += length;
      } else if (opcode === 0x9) {
        socket.write(PONG);
      } else if (opcode === 0x8) {
        socket.destroy();
        return;
      }
      const end = start + length;
      if (end > buf.length) {
        skip = end - buf.length;
        return;
      }
      at = end;
    }
    if (at < buf.length) partial = buf.subarray(at);
  };
}

/** Opens one viewer: resolves when its upgrade is answered 101, rejects otherwise. */
function openViewer(url: string, onClose: () => void): Promise<net.Socket> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
    let head = '';
    let upgraded = false;
    socket.once('close', () => {
      if (upgraded) onClose();
      else reject(new Error(`closed before the upgrade: ${head.split('\r\n')[0] ?? ''}`));
    });
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    const onHead = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        return;
      }
      upgraded = true;
      const onData = createFrameCounter(socket);
      socket.on('data', onData);
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length > 0) onData(rest);
      resolve(socket);
    };
    socket.on('data', onHead);
  });
}

process.once('message', async ({ urls, viewers, seconds }: Start) => {
  let closed = 0;
  const onClose = () => closed++;
  // Opened in batches: 10,000 handshakes at once would only queue in the server's backlog.
  const sockets: net.Socket[] = [];
  for (let i = 0; i < viewers; i += 500) {
    const batch = Array.from({ length: Math.min(500, viewers - i) }, (_, j) =>
      openViewer(urls[(i + j) % urls.length]!, onClose).catch(() => {
        closed++;
        return undefined;
      }),
    );
    for (const socket of await Promise.all(batch)) if (socket) sockets.push(socket);
  }
  // Let every viewer get its first keyframe before measuring.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  seen.frames = 0;
  seen.bytes = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Its own CPU too: a generator near one core would be the limit, not the server.
  const cores = (cpu.user + cpu.system) / 1e6 / wall;
  process.send?.({ frames: seen.frames, bytes: seen.bytes, wall, closed, cores });
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
