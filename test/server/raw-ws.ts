/**
 * @module
 * A WebSocket client that sends its first frame in the same TCP write as the upgrade request,
 * so the frame reaches the server before anything it does once the socket exists (checking
 * the token, finding the tank) has finished. Used to show that a bad frame in that window
 * closes only its socket.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawWsResult {
  /** The HTTP status line of the answer to the upgrade ('' if the connection closed first). */
  status: string;
  /** The code of the server's close frame, if one came. */
  closeCode?: number;
}

/** A masked client text frame (opcode 1) carrying `payload` as given, valid UTF-8 or not. */
function textFrame(payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  if (length > 0xffff) throw new RangeError('textFrame: payloads up to 64 KiB');
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}

/** The code of the first close frame in `frames` (server frames, unmasked), if complete. */
function closeCodeIn(frames: Buffer): number | undefined {
  let at = 0;
  while (at + 2 <= frames.length) {
    const opcode = frames[at]! & 0x0f;
    let length = frames[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (start + 2 > frames.length) return undefined;
      length = frames.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > frames.length) return undefined;
      length = Number(frames.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > frames.length) return undefined;
    if (opcode === 0x8) return length >= 2 ? frames.readUInt16BE(start) : 1005;
    at = start + length;
  }
  return undefined;
}

/**
 * Upgrades to `url` (`ws://host:port/path`) and sends `payload` (one or several) as text frames
 * in the same write; resolves once the server's close frame arrives, or the connection ends, or
 * `timeoutMs` passes (with no `closeCode`).
 *
 * @example
 * ```ts
 * const { closeCode } = await upgradeAndSend(`${server.wsUrl}/ws/${id}?token=${token}`, Buffer.from('x'.repeat(20_000)));
 * expect(closeCode).toBe(1009);
 * ```
 */
export function upgradeAndSend(
  url: string,
  payload: Buffer | Buffer[],
  { timeoutMs = 10_000 } = {},
): Promise<RawWsResult> {
  const frames = (Array.isArray(payload) ? payload : [payload]).map(textFrame);
  const { hostname, port, pathname, search } = new URL(url);
  const request = [
    `GET ${pathname}${search} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let done = false;
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(Buffer.concat([Buffer.from(request, 'latin1'), ...frames])),
    );
    const timer = setTimeout(() => finish(), timeoutMs);
    function finish(closeCode?: number): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = received.subarray(0, Math.max(0, received.indexOf('\r\n'))).toString('latin1');
      resolve(closeCode === undefined ? { status } : { status, closeCode });
    }
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const code = closeCodeIn(received.subarray(end + 4));
      if (code !== undefined) finish(code);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish());
  });
}
