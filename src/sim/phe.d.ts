/**
 * @module
 * Types for the parts of `phe` (poker hand evaluator, plain CommonJS without typings) the sim uses.
 */
declare module 'phe' {
  /** Strength of 5–7 card codes (rank × 4 + suit, 0–51); lower is better (1 = royal flush, 7462 = worst). */
  export function evaluateCardCodes(codes: readonly number[]): number;
  /** Category of a strength: 0 straight flush … 8 high card. */
  export function handRank(value: number): number;
}
