/**
 * @module
 * What `npm run bench tubes` watches, from the network's real-time events (what the gateway's
 * SSE feed relays): each `migration`, local (one process) or across servers, and the two-phase
 * commit under each cross-server one — `transfer_step` `initiated` → `committed` (or `aborted`)
 * by transfer id, the time the fish is held out of both worlds. The bench runs the servers in
 * its own process on in-memory real-time state, so an event reaches it at once.
 */
import type { Realtime } from '../../src/realtime/index.ts';

export interface MigrationTally {
  local: number;
  remote: number;
  /** Cross-server moves that aborted (the fish went back). */
  aborted: number;
  /** Milliseconds from `initiated` to `committed`, per cross-server move. */
  remoteMs: number[];
  /** A move inside one server, from the mover's decision to the fish landed (`took_ms`). */
  localMs: number[];
}

export interface TubeWatch {
  /** Starts counting afresh (the window being measured). */
  reset(): void;
  tally(): MigrationTally;
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const watch = await watchTubes({ realtime });
 * watch.reset(); await sleep(20_000); const { local, remote, remoteMs } = watch.tally();
 * ```
 */
export async function watchTubes({ realtime }: { realtime: Realtime }): Promise<TubeWatch> {
  let tally: MigrationTally = { local: 0, remote: 0, aborted: 0, remoteMs: [], localMs: [] };
  const started = new Map<string, number>();
  const unsubscribe = await realtime.subscribe((event) => {
    if (event.type === 'migration') {
      if (event.local) {
        tally.local++;
        if (event.took_ms !== undefined) tally.localMs.push(event.took_ms);
      } else tally.remote++;
      return;
    }
    if (event.type !== 'transfer_step') return;
    if (event.step === 'initiated') started.set(event.transfer_id, performance.now());
    const at = started.get(event.transfer_id);
    if (at === undefined || (event.step !== 'committed' && event.step !== 'aborted')) return;
    started.delete(event.transfer_id);
    if (event.step === 'committed') tally.remoteMs.push(performance.now() - at);
    else tally.aborted++;
  });
  return {
    reset() {
      tally = { local: 0, remote: 0, aborted: 0, remoteMs: [], localMs: [] };
      started.clear();
    },
    tally: () => tally,
    close: unsubscribe,
  };
}
