/**
 * @module
 * Reading a migrating fish from outside: every fault is a 422 problem naming each bad field's
 * path (`errors[].path`), and a version newer than this build's is refused with its own code,
 * so a sender learns to downgrade rather than guess which field we did not understand.
 */
import { ApiError, type ProblemCode } from '../http/index.ts';
import { type FishPayload, SimError, validateFishPayload } from '../sim/index.ts';
import { fromMigratingFish } from './convert.ts';
import { MIGRATING_FISH_FORMAT, MIGRATING_FISH_VERSION, migratingFishV1 } from './schema.ts';

/** One bad field: its dotted path (`genome.speed`, `pregnancy.frames`; `''` for the body). */
export interface FieldError {
  path: string;
  message: string;
}

export type MigratingFishCode = Extract<
  ProblemCode,
  'invalid_migrating_fish' | 'migrating_fish_version_unsupported'
>;

/** A body that is not a migrating fish this build can take; a problem with `errors[]`. */
export class MigratingFishError extends ApiError {
  readonly errors: FieldError[];
  constructor(code: MigratingFishCode, errors: FieldError[]) {
    const detail = errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; ');
    super(code, detail, { extra: { errors } });
    this.errors = errors;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The sim payload of a migrating fish, or a `MigratingFishError`. Never throws anything else.
 *
 * @example
 * ```ts
 * const payload = parseMigratingFish(await c.req.json()); // 422 naming e.g. `genome.speed`
 * insertEntity(world, payload);
 * ```
 */
export function parseMigratingFish(value: unknown): FishPayload {
  if (!isRecord(value))
    throw new MigratingFishError('invalid_migrating_fish', [{ path: '', message: 'must be an object' }]);
  const { format, version } = value;
  if (format === MIGRATING_FISH_FORMAT && typeof version === 'number' && Number.isInteger(version)) {
    if (version > MIGRATING_FISH_VERSION) {
      throw new MigratingFishError('migrating_fish_version_unsupported', [
        {
          path: 'version',
          message: `version ${version} is newer than ${MIGRATING_FISH_VERSION}, the newest this server reads`,
        },
      ]);
    }
  }
  const result = migratingFishV1.safeParse(value);
  if (!result.success) {
    const errors = result.error.issues.flatMap((i): FieldError[] => {
      const at = i.path.map(String);
      // An unknown field is named itself, not its parent object.
      if (i.code === 'unrecognized_keys')
        return i.keys.map((k) => ({ path: [...at, k].join('.'), message: 'is not a field of this format' }));
      return [{ path: at.join('.'), message: i.message }];
    });
    throw new MigratingFishError('invalid_migrating_fish', errors);
  }
  const payload = fromMigratingFish(result.data);
  try {
    // The sim's own check as well: the two are built from the same bounds, so this agrees.
    return validateFishPayload(payload);
  } catch (err) {
    if (!(err instanceof SimError)) throw err;
    throw new MigratingFishError('invalid_migrating_fish', [{ path: '', message: err.message }]);
  }
}

/** Whether a body declares itself a migrating fish (any version). */
export function isMigratingFish(value: unknown): boolean {
  return isRecord(value) && value.format === MIGRATING_FISH_FORMAT;
}

/**
 * A fish arriving by transfer: a migrating fish, or the sim payload that servers from before
 * this format still send (checked by the sim, `invalid_payload`).
 */
export function parseArrivingFish(value: unknown): FishPayload {
  return isMigratingFish(value) ? parseMigratingFish(value) : validateFishPayload(value);
}
