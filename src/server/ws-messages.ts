/**
 * @module
 * What a viewer may send over its WebSocket (`ws.ts`): the messages, the permission each needs,
 * and carrying one out on the tank.
 */
import { z } from 'zod';
import type { PermissionLevel } from '../auth/index.ts';
import { spawnFish, spawnFood } from '../sim/index.ts';
import type { Tank } from '../tank/index.ts';

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), id: z.union([z.string(), z.number()]).optional() }),
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({
    type: z.literal('spawn_food'),
    count: z.number().int().min(1).max(50).optional(),
    x: z.number().optional(),
  }),
  z.object({
    type: z.literal('spawn_fish'),
    genome: z.record(z.string(), z.number()).optional(),
    x: z.number().optional(),
    y: z.number().optional(),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const NEEDS: Record<ClientMessage['type'], PermissionLevel> = {
  ping: 'read',
  pause: 'write',
  resume: 'write',
  spawn_food: 'write',
  spawn_fish: 'write',
};

/** Carries out one client command and returns the reply. */
export function runClientMessage(tank: Tank, message: ClientMessage): Record<string, unknown> {
  switch (message.type) {
    case 'ping':
      return { type: 'pong', id: message.id, frame: tank.world.frame };
    case 'pause':
      tank.pause();
      return { type: 'ack', command: 'pause', status: tank.status };
    case 'resume':
      tank.resume();
      return { type: 'ack', command: 'resume', status: tank.status };
    case 'spawn_food':
      spawnFood(tank.world, { count: message.count, x: message.x });
      tank.touch();
      return { type: 'ack', command: 'spawn_food' };
    case 'spawn_fish': {
      const fish = spawnFish(tank.world, { genome: message.genome, x: message.x, y: message.y });
      tank.touch();
      return { type: 'ack', command: 'spawn_fish', id: fish.id, uid: fish.uid };
    }
  }
}
