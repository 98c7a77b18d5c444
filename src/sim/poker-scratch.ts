/**
 * @module
 * The card buffers poker reuses from hand to hand. They live apart from the game (`poker.ts`)
 * so that the world, which holds them, depends on no step that plays a hand.
 */

/** Reused card buffers, so a hand allocates nothing but its event. */
export interface PokerScratch {
  readonly deck: Uint8Array;
  readonly five: number[];
  readonly six: number[];
  readonly seven: number[];
  /** Contributions of [button, other] in the current hand. */
  readonly put: Float64Array;
  readonly strength: Float64Array;
}

export function createPokerScratch(): PokerScratch {
  return {
    deck: new Uint8Array(52),
    five: [0, 0, 0, 0, 0],
    six: [0, 0, 0, 0, 0, 0],
    seven: [0, 0, 0, 0, 0, 0, 0],
    put: new Float64Array(2),
    strength: new Float64Array(2),
  };
}
