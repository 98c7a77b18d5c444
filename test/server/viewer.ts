/**
 * @module
 * A WebSocket viewer for tests: a real `ws` client that keeps every message it gets (binary
 * frames as bytes, text as parsed JSON) from the moment the socket exists, so the server's
 * `hello` and its close code are never missed.
 */
import WebSocket from 'ws';
import { waitFor } from '../support/index.ts';

export interface Closed {
  code: number;
  reason: string;
}

export interface TestViewer {
  readonly ws: WebSocket;
  /** Binary messages in arrival order. */
  readonly frames: Uint8Array[];
  /** Text messages in arrival order, parsed. */
  readonly texts: Array<Record<string, unknown>>;
  /** Resolves when the socket closes, with the code the server sent. */
  readonly closed: Promise<Closed>;
  send(message: unknown): void;
  /** Waits for a text message that `match` accepts, returning it. */
  nextText(match: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  close(): void;
}

/**
 * @example
 * ```ts
 * const viewer = openViewer(`${server.wsUrl}/ws/${tankId}?token=${token}`);
 * await waitFor(() => viewer.frames.length >= 3, { what: 'three frames' });
 * ```
 */
export function openViewer(url: string): TestViewer {
  const ws = new WebSocket(url);
  const frames: Uint8Array[] = [];
  const texts: Array<Record<string, unknown>> = [];
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) frames.push(new Uint8Array(buf));
    else texts.push(JSON.parse(buf.toString('utf8')) as Record<string, unknown>);
  });
  // A refused or dropped connection shows up as the close below; the error itself is expected.
  ws.on('error', () => {});
  const closed = new Promise<Closed>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  return {
    ws,
    frames,
    texts,
    closed,
    send(message) {
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    nextText(match, what) {
      return waitFor(() => texts.find(match), { what, timeout: 15_000, interval: 10 });
    },
    close() {
      ws.close();
    },
  };
}

/** Resolves when the socket is open (rejects if it closes first). */
export async function opened(viewer: TestViewer): Promise<void> {
  if (viewer.ws.readyState === WebSocket.OPEN) return;
  await new Promise<void>((resolve, reject) => {
    viewer.ws.once('open', () => resolve());
    viewer.closed.then((c) => reject(new Error(`closed before open: ${c.code} ${c.reason}`)));
  });
}
