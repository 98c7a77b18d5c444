/**
 * @module
 * Network events for the gateway: one real-time subscription per gateway, fanned out to the
 * in-process listeners (cache invalidation) and to every Server-Sent Events client of
 * `GET /api/events`. Each SSE client has a bounded queue: one that stops reading is dropped
 * rather than letting its backlog grow, and comment lines keep idle connections (and the
 * proxies on their way) from timing out.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { NetworkEvent, Realtime, SubscriptionGap, Unsubscribe } from '../realtime/index.ts';
import type { Logger } from '../telemetry/index.ts';

export interface EventHub {
  start(): Promise<void>;
  /** Ends the subscription and every SSE stream. Idempotent. */
  stop(): Promise<void>;
  /** Calls `listener` with every event; returns the function that stops it. */
  listen(listener: (event: NetworkEvent) => void): () => void;
  /**
   * Calls `listener` when the subscription breaks (`lost`: events from then on are missed) and
   * when it is whole again (`resumed`, before any later event); returns the function that stops it.
   */
  onGap(listener: (gap: SubscriptionGap) => void): () => void;
  /**
   * An SSE response streaming every event `visible` lets through, until the client goes away
   * or the hub stops.
   */
  stream(
    c: Context,
    visible: (event: NetworkEvent) => boolean | Promise<boolean>,
    onEnd?: () => void,
  ): Response;
  /** SSE clients connected now. */
  readonly clients: number;
}

export interface EventHubOptions {
  realtime: Realtime;
  logger: Logger;
  /** Interval of `: keep-alive` comments on idle streams. */
  keepAliveMs?: number;
  /** Events queued for one slow client before it is dropped. */
  maxQueue?: number;
}

/**
 * @example
 * ```ts
 * const hub = createEventHub({ realtime, logger });
 * await hub.start();
 * hub.listen((e) => { if (e.type === 'tank_deleted') cache.invalidate(e.tank_id); });
 * app.get('/api/events', (c) => hub.stream(c, () => true));
 * ```
 */
export function createEventHub({
  realtime,
  logger,
  keepAliveMs = 15_000,
  maxQueue = 1000,
}: EventHubOptions): EventHub {
  const listeners = new Set<(event: NetworkEvent) => void>();
  const gapListeners = new Set<(gap: SubscriptionGap) => void>();
  const closers = new Set<() => void>();
  let unsubscribe: Unsubscribe | undefined;
  let stopping: Promise<void> | undefined;

  function dispatch(event: NetworkEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        logger.error({ err, event: event.type }, 'event listener threw');
      }
    }
  }

  function gap(state: SubscriptionGap): void {
    if (state === 'lost') logger.warn('network events lost until the subscription is back');
    else logger.info('network events flow again; what was missed is reloaded');
    for (const listener of [...gapListeners]) {
      try {
        listener(state);
      } catch (err) {
        logger.error({ err, gap: state }, 'gap listener threw');
      }
    }
  }

  function listen(listener: (event: NetworkEvent) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  function stream(
    c: Context,
    visible: (event: NetworkEvent) => boolean | Promise<boolean>,
    onEnd: () => void = () => {},
  ): Response {
    return streamSSE(c, async function sse(out) {
      const queue: NetworkEvent[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      let keepAliveDue = false;
      let seq = 0;
      const poke = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const end = () => {
        ended = true;
        poke();
      };
      const unlisten = listen((event) => {
        if (queue.length >= maxQueue) {
          logger.warn({ queued: queue.length }, 'SSE client too slow; dropping it');
          end();
          return;
        }
        queue.push(event);
        poke();
      });
      const timer = setInterval(() => {
        keepAliveDue = true;
        poke();
      }, keepAliveMs);
      closers.add(end);
      out.onAbort(end);
      try {
        // Tells the client it is subscribed (and how long to wait before reconnecting).
        await out.write(`retry: 2000\n: connected\n\n`);
        while (!ended && !out.aborted) {
          if (queue.length === 0 && !keepAliveDue) await new Promise<void>((resolve) => (wake = resolve));
          for (let event = queue.shift(); event !== undefined && !ended; event = queue.shift()) {
            if (await visible(event)) {
              await out.writeSSE({ event: event.type, data: JSON.stringify(event), id: String(++seq) });
            }
          }
          if (keepAliveDue && !ended) {
            keepAliveDue = false;
            await out.write(': keep-alive\n\n');
          }
        }
      } finally {
        unlisten();
        clearInterval(timer);
        closers.delete(end);
        onEnd();
      }
    });
  }

  return {
    async start() {
      unsubscribe = await realtime.subscribe(dispatch, { onGap: gap });
    },
    stop() {
      stopping ??= (async () => {
        for (const close of [...closers]) close();
        await unsubscribe?.().catch(() => undefined);
        listeners.clear();
        gapListeners.clear();
      })();
      return stopping;
    },
    listen,
    onGap(listener) {
      gapListeners.add(listener);
      return () => gapListeners.delete(listener);
    },
    stream,
    get clients() {
      return closers.size;
    },
  };
}
