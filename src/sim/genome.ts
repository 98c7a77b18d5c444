/**
 * @module
 * The fish genome: trait ranges, random genomes, crossover and mutation, and validation of
 * genomes that come from outside. Genes live in the fish store as one Float64Array per gene.
 */
import { SimError } from './errors.ts';
import { clamp } from './math.ts';
import { normal, type Rng, random, uniform } from './rng.ts';

/** Range of one gene: `min`–`max` is what validation accepts and mutation clamps to; `init` is the random start range. */
export interface GeneRange {
  readonly min: number;
  readonly max: number;
  readonly init: readonly [number, number];
  /** Integer genes pick a category (visual template or pattern). */
  readonly integer: boolean;
  /** Circular genes (hue) wrap around instead of clamping when mutated. */
  readonly wrap: boolean;
  readonly description: string;
}

function gene(min: number, max: number, description: string, init: [number, number] = [min, max]): GeneRange {
  return { min, max, init, integer: false, wrap: false, description };
}

/**
 * Every gene with its range, in storage order. The HTTP layer builds its schemas from this.
 *
 * @example
 * ```ts
 * const { min, max } = GENOME_RANGES.speed; // 0.5, 1.5
 * ```
 */
export const GENOME_RANGES = {
  speed: gene(0.5, 1.5, 'speed = 4 px/frame × this; faster fish also burn more', [0.7, 1.3]),
  size: gene(0.7, 1.3, 'adult body size; bigger bites, bigger costs, smaller house cut share'),
  vision: gene(0.7, 1.3, 'food-detection range multiplier'),
  metabolism: gene(0.5, 1.5, 'base energy burn multiplier', [0.7, 1.3]),
  maxEnergy: gene(0.7, 1.5, 'energy capacity (× 100) and lifespan (× 5400 frames)'),
  aggression: gene(0, 1, 'willingness to gamble: fish play poker below 50 % + 50 % × this of their energy'),
  fertility: gene(0.6, 1.4, 'chance of budding and of accepting a mate'),
  social: gene(0, 1, 'how strongly the fish swims with its neighbours'),
  hue: { ...gene(0, 1, 'body colour hue (0–1)'), wrap: true },
  patternType: { ...gene(0, 3, 'body pattern (0–3)'), integer: true },
  patternIntensity: gene(0, 1, 'pattern visibility'),
  template: { ...gene(0, 5, 'body template (0–5)'), integer: true },
  finSize: gene(0.6, 1.4, 'visual'),
  tailSize: gene(0.6, 1.4, 'visual'),
  bodyAspect: gene(0.7, 1.3, 'visual'),
  eyeSize: gene(0.7, 1.3, 'visual'),
  pokerTightness: gene(0, 1, 'poker: how strong a hand must be to call'),
  pokerAggression: gene(0, 1, 'poker: how readily and how much it raises'),
  pokerBluff: gene(0, 0.3, 'poker: chance of raising with a weak hand'),
  /** Last, so older genomes keep their storage order; absent from them (see `GENE_DEFAULTS`). */
  wanderlust: gene(0, 1, 'tubes: how readily the fish goes through a mouth it swims into'),
} as const satisfies Record<string, GeneRange>;

export type GeneKey = keyof typeof GENOME_RANGES;
export type Genome = Record<GeneKey, number>;

/**
 * Genes added after genomes were first stored: a genome from before (a snapshot, a payload) that
 * lacks one reads with this value.
 */
export const GENE_DEFAULTS: Partial<Genome> = { wanderlust: 0.5 };

/** Gene names in storage order. */
export const GENE_KEYS = Object.keys(GENOME_RANGES) as GeneKey[];
export const GENE_COUNT = GENE_KEYS.length;
const RANGES: GeneRange[] = GENE_KEYS.map((k) => GENOME_RANGES[k]);

/** Storage index of each gene, for the hot loop. */
export const GENE = Object.fromEntries(GENE_KEYS.map((k, i) => [k, i])) as Record<GeneKey, number>;

/** One Float64Array per gene, each `capacity` long; fish `i`'s genome is column entries `[i]`. */
export type GeneColumns = Float64Array[];

/** Writes a random genome (the original's initial ranges) into slot `i`. */
export function randomGenes(rng: Rng, cols: GeneColumns, i: number): void {
  for (let k = 0; k < GENE_COUNT; k++) {
    const r = RANGES[k];
    const v = uniform(rng, r.init[0], r.integer ? r.init[1] + 1 : r.init[1]);
    cols[k][i] = r.integer ? Math.min(r.max, Math.floor(v)) : v;
  }
}

/** Mutation settings; the rate is per gene, the strength a share of the gene's range. */
export interface Mutation {
  readonly rate: number;
  readonly strength: number;
}

/**
 * Writes a child genome into `dst[d]` from parents `a` and `b` of `src` (the same index twice for
 * budding). Per gene: pick a parent (parent a with probability `weightA`), blend 70/30 toward the
 * parents' mean as the original does, then mutate with a normal step. Faster children also get a
 * higher metabolism, so speed is never free.
 */
export function mixGenes(
  rng: Rng,
  src: GeneColumns,
  a: number,
  b: number,
  weightA: number,
  mutation: Mutation,
  dst: GeneColumns,
  d: number,
): void {
  for (let k = 0; k < GENE_COUNT; k++) {
    const r = RANGES[k];
    const va = src[k][a];
    const vb = src[k][b];
    const pick = random(rng) < weightA ? va : vb;
    let v = r.integer ? pick : 0.7 * pick + 0.15 * (va + vb);
    if (random(rng) < mutation.rate) {
      v = r.integer
        ? pick + (random(rng) < 0.5 ? -1 : 1)
        : v + normal(rng) * mutation.strength * (r.max - r.min);
    }
    dst[k][d] = settle(r, v);
  }
  const speed = dst[GENE.speed][d];
  dst[GENE.metabolism][d] = settle(RANGES[GENE.metabolism], dst[GENE.metabolism][d] + 0.2 * (speed - 1));
}

function settle(r: GeneRange, v: number): number {
  if (r.wrap) return v - Math.floor(v);
  return clamp(v, r.min, r.max);
}

/** Copies one slot's genes to another (possibly between column sets). */
export function copyGenes(src: GeneColumns, s: number, dst: GeneColumns, d: number): void {
  for (let k = 0; k < GENE_COUNT; k++) dst[k][d] = src[k][s];
}

export function readGenome(cols: GeneColumns, i: number): Genome {
  const g = {} as Genome;
  for (let k = 0; k < GENE_COUNT; k++) g[GENE_KEYS[k]] = cols[k][i];
  return g;
}

export function writeGenome(genome: Partial<Genome>, cols: GeneColumns, i: number): void {
  for (let k = 0; k < GENE_COUNT; k++) {
    const v = genome[GENE_KEYS[k]];
    if (v !== undefined) cols[k][i] = v;
  }
}

/**
 * Checks a genome from outside and returns it typed; throws `SimError('invalid_genome')` naming
 * the first bad gene. With `partial`, missing genes are allowed (they are drawn at random).
 *
 * @example
 * ```ts
 * const genome = validateGenome(body.genome, { partial: true });
 * ```
 */
export function validateGenome(
  value: unknown,
  { partial = false }: { partial?: boolean } = {},
): Partial<Genome> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SimError('invalid_genome', 'genome must be an object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in GENOME_RANGES)) throw new SimError('invalid_genome', `unknown gene '${key}'`);
  }
  const out: Partial<Genome> = {};
  for (const key of GENE_KEYS) {
    const v = record[key];
    if (v === undefined) {
      if (partial) continue;
      const fallback = GENE_DEFAULTS[key];
      if (fallback !== undefined) {
        out[key] = fallback;
        continue;
      }
      throw new SimError('invalid_genome', `gene '${key}' is missing`);
    }
    const r = GENOME_RANGES[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new SimError('invalid_genome', `gene '${key}' must be a finite number`);
    }
    if (v < r.min || v > r.max) {
      throw new SimError('invalid_genome', `gene '${key}' must be within ${r.min}–${r.max}, got ${v}`);
    }
    if (r.integer && !Number.isInteger(v)) {
      throw new SimError('invalid_genome', `gene '${key}' must be an integer`);
    }
    out[key] = v;
  }
  return out;
}
