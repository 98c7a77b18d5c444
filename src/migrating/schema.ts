/**
 * @module
 * The migrating-fish format, version 1: one fish as data, for a fish that leaves its tank (a
 * transfer, an export) and arrives in another, possibly on a stranger's server. Declared once
 * here; every field is bounded as the sim bounds it, so a body that passes is a fish the sim
 * takes as it is. Names are snake_case, as on the rest of the API.
 */
import { z } from '../http/index.ts';
import {
  GENE_DEFAULTS,
  GENE_KEYS,
  GENOME_RANGES,
  PAYLOAD_LIMITS,
  POKER_EFFECT_NAMES,
  UID_PATTERN,
} from '../sim/index.ts';

export const MIGRATING_FISH_FORMAT = 'tankworld.fish';
/** The newest version this build reads and writes; a body with a higher one is refused. */
export const MIGRATING_FISH_VERSION = 1;

const L = PAYLOAD_LIMITS;
const Uid = z.string().regex(UID_PATTERN, 'must be a fish uid (<prefix>.<base36>)');
const finite = () => z.number().finite();
const count = () =>
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1);

/** Each gene with its range, from the sim's table so the two never disagree. */
export const MigratingGenome = z
  .object(
    Object.fromEntries(
      GENE_KEYS.map((k) => {
        const r = GENOME_RANGES[k];
        const n = (r.integer ? z.number().int() : z.number()).min(r.min).max(r.max);
        // A gene added after v1 (GENE_DEFAULTS) may be absent: a fish exported before it reads
        // with the default, as an old snapshot does.
        const fallback = GENE_DEFAULTS[k];
        const gene = fallback === undefined ? n : (n.default(fallback) as unknown as z.ZodNumber);
        return [k, gene.openapi({ description: r.description })];
      }),
    ) as Record<(typeof GENE_KEYS)[number], z.ZodNumber>,
  )
  .strict()
  .openapi('MigratingGenome');

const Poker = z
  .object({
    games: count(),
    wins: count(),
    losses: count(),
    ties: count(),
    net: finite(),
    button: z.boolean(),
    effect: z.enum(POKER_EFFECT_NAMES),
    effect_frames: z.number().int().min(0).max(L.pokerEffectFrames),
    effect_amount: finite().min(0),
  })
  .strict();

const Pregnancy = z
  .object({
    frames: z.number().int().min(1).max(L.pregnancyFrames),
    generation: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1),
    genome: MigratingGenome,
  })
  .strict();

const shape = {
  format: z.literal(MIGRATING_FISH_FORMAT),
  version: z.literal(MIGRATING_FISH_VERSION),
  uid: Uid,
  lineage_id: Uid.openapi({ description: "the founder's uid of the fish's family" }),
  parent_uid: Uid.nullable().openapi({ description: 'the parent that carried it; null for a founder' }),
  generation: count(),
  genome: MigratingGenome,
  /** Energy above zero (a fish at zero dies on its first frame) up to its capacity (checked below). */
  energy: finite().gt(0),
  /** Frames lived, below its lifespan (checked below). */
  age: count(),
  position: z.object({ x: finite(), y: finite() }).strict(),
  velocity: z
    .object({ x: finite().min(-L.speed).max(L.speed), y: finite().min(-L.speed).max(L.speed) })
    .strict(),
  mating_cooldown: z.number().int().min(0).max(L.cooldownFrames),
  poker_cooldown: z.number().int().min(0).max(L.cooldownFrames),
  pregnancy: Pregnancy.nullable(),
  crab_scare: z.number().int().min(0).max(L.crabScareFrames),
  wander: z
    .object({
      x: finite().min(-1).max(1),
      y: finite().min(-1).max(1),
      frames: z.number().int().min(-1).max(L.wanderFrames),
    })
    .strict(),
  bites: count(),
  offspring: count(),
  poker: Poker,
};

/**
 * @example
 * ```ts
 * const result = migratingFishV1.safeParse(body); // issues name each bad field's path
 * ```
 */
export const migratingFishV1 = z
  .object(shape)
  .strict()
  .superRefine((fish, ctx) => {
    const capacity = L.energyBase * fish.genome.maxEnergy;
    if (fish.energy > capacity)
      ctx.addIssue({
        code: 'custom',
        path: ['energy'],
        message: `must be at most ${capacity} (its capacity)`,
      });
    const lifespan = Math.floor(L.lifespanBase * fish.genome.maxEnergy);
    if (fish.age >= lifespan)
      ctx.addIssue({ code: 'custom', path: ['age'], message: `must be below ${lifespan} (its lifespan)` });
  })
  .openapi('MigratingFish');

export type MigratingFish = z.infer<typeof migratingFishV1>;
