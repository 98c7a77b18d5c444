/**
 * @module
 * The tank server's Prometheus series: tanks, viewers, tick duration and lag, frame bytes,
 * skipped frames, snapshot save time and age, restore time, each on the server's own registry.
 * `docs/metrics.md` lists them all (a test checks each is exported).
 */
import { Counter, Gauge, Histogram, type Registry } from '../telemetry/index.ts';

export interface ServerMetricsOptions {
  /** How many tanks the server holds, read at each scrape. */
  tankCount: () => number;
  /** Whether any tank has changes no snapshot holds yet, read at each scrape. */
  anyUnsaved: () => boolean;
  /** Tube moves under way now (`tubes/mover.ts`), read at each scrape. */
  tubeMovesInFlight: () => number;
}

export function createServerMetrics(
  registry: Registry,
  { tankCount, anyUnsaved, tubeMovesInFlight }: ServerMetricsOptions,
) {
  let lastBatchAt = performance.now();
  // Frames are counted once per viewer per broadcast (150,000 a second at 10,000 viewers): two
  // prom-client `inc` calls each (an object and a label hash per call) were a measurable share
  // of the broadcast. They are summed here and handed to the counters when scraped.
  const unscraped = { frames: 0, bytes: 0 };
  new Counter({
    name: 'tankworld_frames_sent_total',
    help: 'Frames written to viewers',
    registers: [registry],
    collect() {
      if (unscraped.frames > 0) this.inc(unscraped.frames);
      unscraped.frames = 0;
    },
  });
  new Counter({
    name: 'tankworld_frame_bytes_total',
    help: 'Bytes of frames written to viewers',
    registers: [registry],
    collect() {
      if (unscraped.bytes > 0) this.inc(unscraped.bytes);
      unscraped.bytes = 0;
    },
  });
  new Gauge({
    name: 'tankworld_snapshot_age_seconds',
    help: 'Seconds since the last snapshot batch while a tank has unsaved changes (0 when none has)',
    registers: [registry],
    collect() {
      this.set(anyUnsaved() ? (performance.now() - lastBatchAt) / 1000 : 0);
    },
  });
  // A fish in a move is in neither tank's world (held out of its own, not yet in the other):
  // whoever counts fish by tank waits for this to be 0; at the mover's cap (256) fish that
  // reach a mouth swim on instead of leaving.
  new Gauge({
    name: 'tankworld_tube_moves_in_flight',
    help: 'Fish on their way through a tube from a tank of this server (not yet landed or put back)',
    registers: [registry],
    collect() {
      this.set(tubeMovesInFlight());
    },
  });
  const snapshotSeconds = new Histogram({
    name: 'tankworld_snapshot_batch_duration_seconds',
    help: 'Time to encode and write one snapshot batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    /** A frame of `bytes` was written to a viewer (counted at the next scrape). */
    frameSent(bytes: number): void {
      unscraped.frames++;
      unscraped.bytes += bytes;
    },
    /** A snapshot batch was written in `seconds`. */
    snapshotSaved(seconds: number): void {
      lastBatchAt = performance.now();
      snapshotSeconds.observe(seconds);
    },
    restoreSeconds: new Histogram({
      name: 'tankworld_snapshot_restore_duration_seconds',
      help: 'Time to start one tank from its snapshot (from="snapshot") or its seed (from="seed")',
      labelNames: ['from'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    tickLag: new Histogram({
      name: 'tankworld_tick_lag_seconds',
      help: 'How late a scheduler tick began after it was due',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    // Read at scrape time: tanks come and go on several paths (create, adopt, delete, fencing),
    // and a gauge set on some of them drifts from the truth.
    tanks: new Gauge({
      name: 'tankworld_tanks',
      help: 'Tanks on this server',
      registers: [registry],
      collect() {
        this.set(tankCount());
      },
    }),
    viewers: new Gauge({ name: 'tankworld_viewers', help: 'Open viewer WebSockets', registers: [registry] }),
    ticksBehind: new Gauge({
      name: 'tankworld_ticks_behind',
      help: 'Ticks the scheduler dropped to keep up',
      registers: [registry],
    }),
    tickSeconds: new Histogram({
      name: 'tankworld_tick_duration_seconds',
      help: 'Wall time of one scheduler tick (all tanks)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1],
      registers: [registry],
    }),
    framesSkipped: new Counter({
      name: 'tankworld_frames_skipped_total',
      help: 'Frames skipped for viewers that fell behind',
      registers: [registry],
    }),
    tanksFailed: new Counter({
      name: 'tankworld_tanks_failed_total',
      help: 'Tanks stopped because their step threw',
      registers: [registry],
    }),
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
