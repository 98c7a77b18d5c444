/**
 * @module
 * Coalescing of concurrent calls into batches (one HTTP request, one SQL statement), and bounded
 * fan-out over a list.
 */
export { type Batcher, type BatcherOptions, createBatcher } from './batcher.ts';
export { type EachLimitedOptions, eachLimited } from './each-limited.ts';
