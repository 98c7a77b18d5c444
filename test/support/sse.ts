/**
 * @module
 * A client of the gateway's `GET /api/events` for tests: the Server-Sent Events parsed as they
 * arrive, open until the test's cleanup (or `close`).
 */
import { waitFor } from '../../src/mesh/index.ts';
import type { Cleanup } from './cleanup.ts';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
  /** When this process read it (`Date.now()`). */
  receivedAt: number;
}

export interface EventStream {
  /** Every event so far, in arrival order. */
  events: SseEvent[];
  /** The first event matching, waiting for it. */
  next(match: (e: SseEvent) => boolean, what: string): Promise<SseEvent>;
  close(): void;
}

export interface OpenEventStreamOptions {
  url: string;
  headers?: Record<string, string>;
  cleanup: Cleanup;
}

/**
 * Opens the stream and resolves once it says it is connected; a status other than 200 throws
 * with the answer.
 *
 * @example
 * ```ts
 * const stream = await openEventStream({ url: `${base}/api/events`, headers: { authorization }, cleanup });
 * await stream.next((e) => e.event === 'tank_moved', 'the move');
 * ```
 */
export async function openEventStream({
  url,
  headers = {},
  cleanup,
}: OpenEventStreamOptions): Promise<EventStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream')) throw new Error(`GET ${url}: content-type ${type}`);
  const events: SseEvent[] = [];
  let connected = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.includes(': connected')) connected = true;
          const event = /^event: ?(.*)$/m.exec(block)?.[1];
          const data = /^data: ?(.*)$/m.exec(block)?.[1];
          if (event && data)
            events.push({ event, data: JSON.parse(data) as Record<string, unknown>, receivedAt: Date.now() });
        }
      }
    } catch {
      // Aborted by close() or the cleanup.
    }
  })();
  cleanup.add(async () => {
    controller.abort();
    await reading;
  });
  await waitFor(() => connected, { what: `${url} to say it is connected` });
  return {
    events,
    next: (match, what) => waitFor(() => events.find(match), { what }),
    close: () => controller.abort(),
  };
}
