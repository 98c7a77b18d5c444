/**
 * @module
 * Coalescing of concurrent calls into batches (one HTTP request, one SQL statement).
 */
export { type Batcher, type BatcherOptions, createBatcher } from './batcher.ts';
