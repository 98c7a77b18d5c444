/**
 * @module
 * What `step` reports, and the running counters behind `worldStats`. The events object is
 * reused from tick to tick: copy what you need before the next `step`.
 */

export const BirthMode = {
  asexual: 'asexual',
  sexual: 'sexual',
  poker: 'poker',
  spawned: 'spawned',
} as const;
export type BirthMode = (typeof BirthMode)[keyof typeof BirthMode];

export const DeathCause = { starvation: 'starvation', oldAge: 'old_age', predation: 'predation' } as const;
export type DeathCause = (typeof DeathCause)[keyof typeof DeathCause];

/** A fish that decided to go through a mouth this tick. */
export interface Departure {
  uid: string;
  mouth_id: string;
}

export interface BirthEvent {
  id: number;
  uid: string;
  mode: BirthMode;
  generation: number;
  /** One uid for budding, two for sexual and poker births, none for spawned fish. */
  parents: string[];
  /** The family the child joined: its carrier's lineage, or its own uid for a spawned fish. */
  lineage_id: string;
}

export interface DeathEvent {
  id: number;
  uid: string;
  cause: DeathCause;
  generation: number;
  age: number;
  x: number;
  y: number;
}

export interface PokerHandEvent {
  /** The two players' uids. */
  players: [string, string];
  /** `null` on a tie. */
  winner: string | null;
  /** `'showdown'` or `'fold'` (the loser folded). */
  end: 'showdown' | 'fold';
  /** Best hand categories at the showdown (e.g. `'two_pair'`), `null` after a fold. */
  hands: [string | null, string | null];
  pot: number;
  /** Energy the loser lost. */
  moved: number;
  /** Part of `moved` that left the tank instead of reaching the winner. */
  houseCut: number;
}

export interface StepEvents {
  frame: number;
  /** Fish that swam into a tube's mouth and decided to go (`mouths.ts`); the server moves them. */
  departures: Departure[];
  births: BirthEvent[];
  deaths: DeathEvent[];
  pokerHands: PokerHandEvent[];
}

export function createEvents(): StepEvents {
  return { frame: 0, births: [], deaths: [], pokerHands: [], departures: [] };
}

/** Running totals since the world was created (kept across snapshots). */
export interface Counters {
  births: Record<BirthMode, number>;
  deaths: Record<DeathCause, number>;
  transfersIn: number;
  transfersOut: number;
  pokerHands: number;
  pokerTies: number;
  pokerEnergyMoved: number;
  houseCut: number;
  maxGeneration: number;
}

export function createCounters(): Counters {
  return {
    births: { asexual: 0, sexual: 0, poker: 0, spawned: 0 },
    deaths: { starvation: 0, old_age: 0, predation: 0 },
    transfersIn: 0,
    transfersOut: 0,
    pokerHands: 0,
    pokerTies: 0,
    pokerEnergyMoved: 0,
    houseCut: 0,
    maxGeneration: 0,
  };
}
