/**
 * @module
 * The `Connection` JSON (a tube between two tanks, snake_case: a public contract) and its
 * builder from a `tank_connections` row. The gateway answers it; the server puts it in the
 * tank's JSON and derives each tank's mouths from it.
 */
import { z } from '../http/index.ts';
import { MOUTHS, type Mouth, type TankConnection, TUBE_DIRECTIONS } from '../store/index.ts';

export const ConnectionSchema = z
  .object({
    connection_id: z.string().uuid(),
    source_tank_id: z.string().uuid(),
    dest_tank_id: z.string().uuid(),
    source_mouth: z.enum(MOUTHS),
    dest_mouth: z.enum(MOUTHS),
    direction: z.enum(TUBE_DIRECTIONS),
    rate_per_minute: z.number().int().min(1).max(600),
    created_at: z.string(),
  })
  .openapi('Connection');
export type Connection = z.infer<typeof ConnectionSchema>;

/**
 * @example
 * ```ts
 * return c.json({ connections: rows.map(connectionView) }, 200);
 * ```
 */
export function connectionView(row: TankConnection): Connection {
  return {
    connection_id: row.connectionId,
    source_tank_id: row.sourceTankId,
    dest_tank_id: row.destTankId,
    source_mouth: row.sourceMouth,
    dest_mouth: row.destMouth,
    direction: row.direction,
    rate_per_minute: row.ratePerMinute,
    created_at: row.createdAt.toISOString(),
  };
}

/** The mouth across the tank from `mouth`: where a tube's far end opens unless told otherwise. */
export function oppositeMouth(mouth: Mouth): Mouth {
  return ({ left: 'right', right: 'left', top: 'bottom', bottom: 'top' } as const)[mouth];
}
