/**
 * @module
 * The one error the decoder throws on bytes it cannot read, with stable codes.
 */

/** Stable error codes; their string values are part of the public contract. */
export const WireErrorCode = {
  /** Byte 0 is not a frame of this format or this version. */
  badMagic: 'bad_magic',
  /** The frame kind byte names no known kind. */
  badKind: 'bad_kind',
  /** The frame ends before its content does. */
  truncated: 'truncated',
  /** The frame is complete but inconsistent (unknown id, value out of range, trailing bytes). */
  malformed: 'malformed',
  /** `keyframe()` was called on a frame after its encoder moved on to the next one. */
  staleFrame: 'stale_frame',
  /** An encoder option is out of range. */
  invalidOptions: 'invalid_options',
} as const;

export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/**
 * Thrown by `decode` on bytes that are not a valid frame (the decoder then waits for a
 * keyframe), and by `keyframe()` when asked too late.
 *
 * @example
 * ```ts
 * try {
 *   decoder.decode(bytes);
 * } catch (err) {
 *   if (err instanceof WireError && err.code === 'truncated') requestKeyframe();
 * }
 * ```
 */
export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code: WireErrorCode;

  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
