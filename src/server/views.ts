/**
 * @module
 * The JSON shapes the API returns (snake_case: field names are a public contract that clients
 * and `web/` read), with their zod schemas so the OpenAPI document describes them.
 */
import { z } from '../http/index.ts';
import { worldStats } from '../sim/index.ts';
import type { Tank } from '../tank/index.ts';

export const TankInfoSchema = z
  .object({
    tank_id: z.string().uuid(),
    name: z.string(),
    description: z.string(),
    owner: z.string().nullable(),
    server_id: z.string(),
    is_public: z.boolean(),
    allow_transfers: z.boolean(),
    seed: z.number().int(),
    created_at: z.string(),
  })
  .openapi('TankInfo');

export const TankStatsSchema = z
  .object({
    frame: z.number().int(),
    time_of_day: z.string(),
    fish_count: z.number().int(),
    max_fish: z.number().int(),
    food_count: z.number().int(),
    plant_count: z.number().int(),
    max_generation: z.number().int(),
    births: z.record(z.string(), z.number()),
    deaths: z.record(z.string(), z.number()),
    transfers_in: z.number().int(),
    transfers_out: z.number().int(),
    poker: z.object({ hands: z.number(), ties: z.number(), energy_moved: z.number(), house_cut: z.number() }),
    total_energy: z.number(),
    fish_energy: z.number(),
    plant_energy: z.number(),
    genome_averages: z.record(z.string(), z.number()).nullable(),
  })
  .openapi('TankStats');

export const TankStatusSchema = z
  .object({
    tank: TankInfoSchema,
    status: z.enum(['running', 'paused', 'failed']),
    running: z.boolean(),
    paused: z.boolean(),
    error: z.string().nullable(),
    client_count: z.number().int(),
    frame: z.number().int(),
    epoch: z.number().int(),
    stats: TankStatsSchema,
  })
  .openapi('TankStatus');

export type TankStatusView = z.infer<typeof TankStatusSchema>;

const round = (n: number) => Math.round(n * 100) / 100;

export function statsView(tank: Tank): z.infer<typeof TankStatsSchema> {
  const s = worldStats(tank.world);
  return {
    frame: s.frame,
    time_of_day: s.timeOfDay,
    fish_count: s.fishCount,
    max_fish: s.maxFish,
    food_count: s.foodCount,
    plant_count: s.plantCount,
    max_generation: s.maxGeneration,
    births: s.births,
    deaths: s.deaths,
    transfers_in: s.transfersIn,
    transfers_out: s.transfersOut,
    poker: {
      hands: s.poker.hands,
      ties: s.poker.ties,
      energy_moved: round(s.poker.energyMoved),
      house_cut: round(s.poker.houseCut),
    },
    total_energy: round(s.energy.total),
    fish_energy: round(s.energy.fish),
    plant_energy: round(s.energy.plants),
    genome_averages: s.genomeAverages
      ? Object.fromEntries(Object.entries(s.genomeAverages).map(([k, v]) => [k, round(v as number)]))
      : null,
  };
}

export function tankView(tank: Tank, serverId: string): TankStatusView {
  return {
    tank: { tank_id: tank.id, server_id: serverId, ...tank.meta },
    status: tank.status,
    running: tank.status === 'running',
    paused: tank.status === 'paused',
    error: tank.error,
    client_count: tank.viewerCount,
    frame: tank.world.frame,
    epoch: tank.epoch,
    stats: statsView(tank),
  };
}
