/**
 * @module
 * The shape one server reports about a lineage (`GET /internal/lineages/{id}`), declared once
 * for the server that answers and the gateway that adds the answers up.
 */
import { z } from '../http/index.ts';
import { UID_PATTERN } from '../sim/index.ts';

/** A lineage id is its founder's uid. */
export const LineageId = z.string().regex(UID_PATTERN, 'must be a fish uid (<prefix>.<base36>)');

export const ServerLineage = z
  .object({
    lineage_id: z.string(),
    server_id: z.string(),
    /** A tank here handed out the founder's uid (so the lineage existed, living or not). */
    seen: z.boolean(),
    tanks: z.array(z.object({ tank_id: z.string(), count: z.number().int().min(1) }).strict()),
  })
  .strict()
  .openapi('ServerLineage');

export type ServerLineage = z.infer<typeof ServerLineage>;

/** The founder uid's tank prefix and counter (`<prefix>.<base36>`). */
export function founderParts(lineageId: string): { prefix: string; n: number } {
  const dot = lineageId.lastIndexOf('.');
  return { prefix: lineageId.slice(0, dot), n: Number.parseInt(lineageId.slice(dot + 1), 36) };
}
