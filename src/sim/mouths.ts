/**
 * @module
 * Tube mouths: where on a tank's edges the server has opened tubes, and the decision of a fish
 * that swims into one to go. The decision is sim state, drawn from the world's RNG only when a
 * fish is at a mouth (a tank without mouths draws nothing, so it runs as before); the move is
 * the server's: the fish is listed in `events.departures` and the server takes it out of the
 * world in the same tick, or leaves it swimming when the tube cannot take it now.
 */
import { FISH_HALF, TOP_MARGIN } from './constants.ts';
import { SimError } from './errors.ts';
import { GENE } from './genome.ts';
import { random } from './rng.ts';
import { MOUTH_EDGES, type Mouth, type World } from './world.ts';

export type { Departure } from './events.ts';
export { MOUTH_EDGES, type Mouth, type MouthEdge } from './world.ts';

/** How close to its wall (px past the swimming bound) a fish must be to be in the mouth. */
export const MOUTH_REACH = 12;
/** Chance per frame, at wanderlust 1, that a fish in a mouth goes even when fed and alone. */
const BASE_URGE = 0.05;
/** What a full tank and an empty belly add to that chance (each at most). */
const CROWD_URGE = 0.1;
const HUNGER_URGE = 0.1;

/**
 * Sets the tank's mouths (the server does, from its tubes); replaces the previous ones. Not part
 * of a snapshot: the server sets them again after a restore. Throws `invalid_options` for an
 * unknown edge or an empty or reversed span.
 *
 * @example
 * ```ts
 * setMouths(world, [{ id: connectionId, edge: 'right', from: 100, to: 300 }]);
 * ```
 */
export function setMouths(world: World, mouths: readonly Mouth[]): void {
  for (const m of mouths) {
    if (
      !MOUTH_EDGES.includes(m.edge) ||
      !(m.from < m.to) ||
      !Number.isFinite(m.from) ||
      !Number.isFinite(m.to)
    ) {
      throw new SimError(
        'invalid_options',
        `mouth ${m.id}: an edge of ${MOUTH_EDGES.join('/')} and a span from < to`,
      );
    }
  }
  world.mouths = mouths.map((m) => ({ ...m }));
}

/** The mouth fish `i` is in, if any: near the mouth's wall and within its span. */
function mouthAt(world: World, i: number): Mouth | undefined {
  const x = world.fish.x[i];
  const y = world.fish.y[i];
  for (const m of world.mouths) {
    const along = m.edge === 'left' || m.edge === 'right' ? y : x;
    if (along < m.from || along > m.to) continue;
    const near =
      m.edge === 'left'
        ? x <= FISH_HALF + MOUTH_REACH
        : m.edge === 'right'
          ? x >= world.width - FISH_HALF - MOUTH_REACH
          : m.edge === 'top'
            ? y <= TOP_MARGIN + FISH_HALF + MOUTH_REACH
            : y >= world.height - FISH_HALF - MOUTH_REACH;
    if (near) return m;
  }
  return undefined;
}

/**
 * The chance per frame that fish `i`, in a mouth, goes: its wanderlust times an urge that grows
 * with crowding (fish over the tank's cap) and hunger (energy below its maximum).
 */
export function departureChance(world: World, i: number): number {
  const f = world.fish;
  const wanderlust = f.genes[GENE.wanderlust][i];
  const crowding = Math.min(1, f.count / Math.max(1, world.maxFish));
  const hunger = 1 - Math.min(1, f.energy[i] / Math.max(1e-9, f.maxEnergy[i]));
  return wanderlust * (BASE_URGE + CROWD_URGE * crowding + HUNGER_URGE * hunger);
}

/**
 * Lists in `world.events.departures` each fish that is in a mouth and decides to go this tick.
 * The fish stays in the world: the server takes it out (or not) right after the step.
 */
export function decideDepartures(world: World): void {
  const out = world.events.departures;
  if (world.mouths.length === 0) return;
  const f = world.fish;
  for (let i = 0; i < f.count; i++) {
    const mouth = mouthAt(world, i);
    if (mouth && random(world.rng) < departureChance(world, i))
      out.push({ uid: f.uid[i], mouth_id: mouth.id });
  }
}
