/**
 * @module
 * A Tank: one simulated world, its metadata, its viewers and what the server needs to know
 * about it (paused or failed, changed since the last snapshot, its fencing epoch). A tank knows
 * no sockets: viewers are functions that receive each broadcast frame.
 */
import {
  type EntityPayload,
  extractEntity,
  frameView,
  holdFishSlot,
  insertEntity,
  releaseFishSlot,
  step,
  type World,
} from '../sim/index.ts';
import { createFrameEncoder, type EncodedFrame, encodeJsonFrame } from './wire/index.ts';

export interface TankMeta {
  name: string;
  description: string;
  owner: string | null;
  is_public: boolean;
  allow_transfers: boolean;
  seed: number;
  created_at: string;
}

export const TankStatus = { running: 'running', paused: 'paused', failed: 'failed' } as const;
export type TankStatus = (typeof TankStatus)[keyof typeof TankStatus];

/** What a viewer gets each broadcast: the shared binary delta, a lazily built keyframe, JSON. */
export interface BroadcastFrame extends EncodedFrame {
  /** The same frame as JSON text (built once, on first use). */
  json(): string;
}

export type Viewer = (frame: BroadcastFrame) => void;

export interface Tank {
  readonly id: string;
  /** The running world; replaced whole when a snapshot is restored. */
  readonly world: World;
  meta: TankMeta;
  /** Fencing epoch of this server's ownership (tank_locations.epoch). */
  epoch: number;
  /**
   * Position of the last transfer step that changed this world; each such step takes the next
   * one for its journal entry (`transfer_reservations.seq`), and a snapshot covers every entry
   * up to the position it was encoded at.
   */
  journalSeq: number;
  readonly status: TankStatus;
  /** Why the tank failed, when it did. */
  readonly error: string | null;
  /** True when the world changed since `markSaved`. */
  readonly dirty: boolean;
  readonly viewerCount: number;
  /**
   * True while a live move holds the tank still (`freeze`): the host does not step it and no
   * command changes it, so the snapshot the move saves is the whole state it hands over.
   */
  readonly frozen: boolean;
  /** Whether the host steps it: running and not frozen. */
  readonly ticking: boolean;
  /**
   * Tells `listener` (the host's: one at a time) each time `ticking` may have changed, so a
   * host of thousands of paused tanks steps only the running ones.
   */
  onTicking(listener: ((tank: Tank) => void) | undefined): void;
  step(): void;
  broadcast(): void;
  pause(): void;
  resume(): void;
  fail(err: unknown): void;
  /** Stops the tank where it is for a live move (see `frozen`). */
  freeze(): void;
  /** Lets a frozen tank run on (a move that did not happen). */
  thaw(): void;
  /** Marks the world as changed by something outside the tick (spawn, transfer). */
  touch(): void;
  /**
   * Takes the fish `uid` out of the world for a transfer, keeping its slot held, and marks the
   * world changed. Throws the sim's `unknown_entity` when it is not here.
   */
  holdFish(uid: string): EntityPayload;
  /** Takes the fish `uid` out for good (no slot kept) and marks the world changed. */
  removeFish(uid: string): void;
  /** Puts an arriving fish into the slot held for it, marks the world changed; its local id. */
  admitFish(payload: EntityPayload): number;
  /** Puts a held fish back under its old local `id` when that is free; marks the world changed. */
  putBackFish(payload: EntityPayload, id: number | undefined): void;
  /** Holds room for an arriving fish (the sim's `tank_full` when there is none); marks changed. */
  holdSlot(): void;
  /** Gives a held slot back (an arrival that will not come, a fish that left); marks changed. */
  releaseSlot(): void;
  /** Puts a restored world in place; viewers continue with a keyframe of it. */
  replaceWorld(world: World, options?: { paused?: boolean }): void;
  /** Records that the state as of `frame` is saved. */
  markSaved(frame: number): void;
  /**
   * Adds a viewer; returns the function that removes it. A viewer's first frame must be taken
   * as a keyframe (`frame.keyframe()`); a tank that is not ticking broadcasts at once so the
   * new viewer sees it.
   */
  watch(viewer: Viewer): () => void;
}

export interface CreateTankOptions {
  id: string;
  world: World;
  meta: TankMeta;
  epoch?: number;
  /** The last journal position already applied to `world` (after a restore). */
  journalSeq?: number;
  paused?: boolean;
  /** Every n-th broadcast frame is a keyframe. */
  keyframeEvery?: number;
  /** A viewer threw while taking a frame; it has been removed. */
  onViewerError?: (err: unknown) => void;
}

/**
 * @example
 * ```ts
 * const tank = createTank({ id, meta, world: createWorld({ seed: 1, uidPrefix: 'a1b2' }) });
 * const stop = tank.watch((frame) => socket.send(frame.delta));
 * host.add(tank);
 * ```
 */
export function createTank({
  id,
  world: initialWorld,
  meta,
  epoch = 1,
  journalSeq = 0,
  paused = false,
  keyframeEvery = 30,
  onViewerError = () => {},
}: CreateTankOptions): Tank {
  const viewers = new Set<Viewer>();
  let world = initialWorld;
  let encoder = createFrameEncoder({ keyframeEvery });
  let status: TankStatus = paused ? TankStatus.paused : TankStatus.running;
  let error: string | null = null;
  let savedFrame = -1;
  let touched = false;
  let frozen = false;
  let tickingListener: ((tank: Tank) => void) | undefined;

  function frameFrom(encoded: EncodedFrame): BroadcastFrame {
    let json: string | undefined;
    return {
      frame: encoded.frame,
      delta: encoded.delta,
      isKeyframe: encoded.isKeyframe,
      keyframe: () => encoded.keyframe(),
      json: () => {
        json ??= encodeJsonFrame(frameView(world));
        return json;
      },
    };
  }

  function broadcast(): void {
    if (viewers.size === 0) return;
    const frame = frameFrom(encoder.encode(frameView(world)));
    for (const viewer of viewers) {
      try {
        viewer(frame);
      } catch (err) {
        // One viewer's failure is that viewer's problem: drop it, keep the tank and the others.
        viewers.delete(viewer);
        onViewerError(err);
      }
    }
  }

  const tank: Tank = {
    id,
    get world() {
      return world;
    },
    meta,
    epoch,
    journalSeq,
    get status() {
      return status;
    },
    get error() {
      return error;
    },
    get dirty() {
      return touched || world.frame !== savedFrame;
    },
    get viewerCount() {
      return viewers.size;
    },
    get frozen() {
      return frozen;
    },
    get ticking() {
      return status === TankStatus.running && !frozen;
    },
    onTicking(listener) {
      tickingListener = listener;
    },
    step() {
      step(world);
    },
    broadcast,
    pause() {
      if (status === TankStatus.running) status = TankStatus.paused;
      tickingListener?.(tank);
    },
    resume() {
      if (status === TankStatus.paused) status = TankStatus.running;
      tickingListener?.(tank);
    },
    fail(err) {
      status = TankStatus.failed;
      error = err instanceof Error ? err.message : String(err);
      tickingListener?.(tank);
    },
    freeze() {
      frozen = true;
      tickingListener?.(tank);
    },
    thaw() {
      frozen = false;
      tickingListener?.(tank);
    },
    touch() {
      touched = true;
    },
    holdFish(uid) {
      const payload = extractEntity(world, uid, { hold: true });
      touched = true;
      return payload;
    },
    removeFish(uid) {
      extractEntity(world, uid);
      touched = true;
    },
    admitFish(payload) {
      const { id } = insertEntity(world, payload, { held: true });
      touched = true;
      return id;
    },
    putBackFish(payload, id) {
      insertEntity(world, payload, { held: true, id });
      touched = true;
    },
    holdSlot() {
      holdFishSlot(world);
      touched = true;
    },
    releaseSlot() {
      releaseFishSlot(world);
      touched = true;
    },
    replaceWorld(next, { paused: pause = status === TankStatus.paused } = {}) {
      world = next;
      // A fresh encoder starts with a keyframe, so every viewer's decoder resets on it.
      encoder = createFrameEncoder({ keyframeEvery });
      status = pause ? TankStatus.paused : TankStatus.running;
      error = null;
      touched = true;
      tickingListener?.(tank);
      broadcast();
    },
    markSaved(frame) {
      savedFrame = frame;
      touched = false;
    },
    watch(viewer) {
      viewers.add(viewer);
      if (status !== TankStatus.running) broadcast();
      return () => {
        viewers.delete(viewer);
      };
    },
  };
  return tank;
}
