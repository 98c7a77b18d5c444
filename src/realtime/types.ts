/**
 * @module
 * The values real-time state holds (server load, tank stats, network events) and the
 * `Realtime` interface both adapters implement. The zod schemas are the single definition:
 * the types are inferred from them and the codec validates against them.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const amount = z.number().finite().nonnegative();
const isoTime = z.iso.datetime();

/** What a tank server reports about itself each heartbeat (placement reads it). */
export const serverLoadSchema = z.object({
  tank_count: count,
  /** Process CPU; may exceed 100 on a multi-core host. */
  cpu_percent: amount,
  memory_mb: amount,
  ws_connections: count,
  /** How many ticks the scheduler is behind; > 0 means the server is saturated. */
  ticks_behind: count,
  updated_at: isoTime,
});
export type ServerLoad = z.infer<typeof serverLoadSchema>;

/** Live numbers of one tank, for the network-wide listing and the dashboard. */
export const tankStatsSchema = z.object({
  server_id: z.string().min(1),
  frame: count,
  fish_count: count,
  generation: count,
  max_generation: count,
  total_extinctions: count,
  total_energy: z.number().finite(),
  fish_energy: z.number().finite(),
  plant_energy: z.number().finite(),
  client_count: count,
  updated_at: isoTime,
});
export type TankStats = z.infer<typeof tankStatsSchema>;

/** The steps of a two-phase-commit transfer, as logged in `transfer_events`. */
export const TransferStep = {
  initiated: 'initiated',
  prepared: 'prepared',
  committed: 'committed',
  aborted: 'aborted',
  failed: 'failed',
} as const;
export type TransferStep = keyof typeof TransferStep;

const id = z.string().min(1);

/** Everything published on the network-wide event channel, discriminated on `type`. */
export const networkEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tank_created'), tank_id: id, server_id: id, at: isoTime }),
  z.object({
    type: z.literal('tank_deleted'),
    tank_id: id,
    server_id: id,
    at: isoTime,
    /**
     * Who could read the tank when it went (its rows, grants included, are gone by the time a
     * gateway streams the event): public, or its owner and grantees. Gateways stream the event
     * only to them; an event without these fields (an older publisher) goes to nobody's stream.
     */
    is_public: z.boolean().optional(),
    readers: z.array(id).optional(),
  }),
  z.object({
    type: z.literal('tank_moved'),
    tank_id: id,
    /** Server ids: where the tank ran and where it runs now. */
    from: id,
    to: id,
    /** The location epoch after the move (fencing token). */
    epoch: count,
    at: isoTime,
  }),
  /** A grant or revoke: gateways drop the levels they cached for the tank (not streamed to users). */
  z.object({ type: z.literal('permission_changed'), tank_id: id, user_id: id, at: isoTime }),
  z.object({ type: z.literal('server_up'), server_id: id, at: isoTime }),
  z.object({ type: z.literal('server_down'), server_id: id, at: isoTime }),
  z.object({
    type: z.literal('transfer_step'),
    transfer_id: id,
    step: z.enum(Object.keys(TransferStep) as [TransferStep, ...TransferStep[]]),
    source_tank_id: id,
    dest_tank_id: id,
    at: isoTime,
  }),
  /** A tube was made or cut: servers running either tank read that tank's tubes again. */
  z.object({
    type: z.literal('connection_changed'),
    change: z.enum(['created', 'deleted']),
    connection_id: id,
    source_tank_id: id,
    dest_tank_id: id,
    at: isoTime,
  }),
  /** A fish went through a tube (src/server/tubes); `local`: both tanks on one server. */
  z.object({
    type: z.literal('migration'),
    connection_id: id,
    fish_uid: id,
    lineage_id: id,
    from_tank_id: id,
    to_tank_id: id,
    from_server_id: id,
    to_server_id: id,
    local: z.boolean(),
    /** From the source server's decision to the fish landed; absent from servers before it. */
    took_ms: z.number().nonnegative().optional(),
    at: isoTime,
  }),
]);
export type NetworkEvent = z.infer<typeof networkEventSchema>;
export type NetworkEventType = NetworkEvent['type'];

/** Receives each decoded event; a throw is reported to `onError` and does not reach others. */
export type EventHandler = (event: NetworkEvent) => void;

/**
 * A break in a subscription: `lost` when it breaks (events published from then on never reach
 * it), `resumed` once it is whole again, before any later event is handled. What was published
 * in between is gone: a subscriber that caches what events would have changed drops it.
 */
export type SubscriptionGap = 'lost' | 'resumed';

export interface SubscribeOptions {
  /** Told of each break and each resumption; an in-process subscription never breaks. */
  onGap?: (gap: SubscriptionGap) => void;
}

/** Ends one subscription; safe to call more than once. */
export type Unsubscribe = () => Promise<void>;

/** How long a written value lives; a writer that stops refreshing disappears after it. */
export interface ExpiryOptions {
  ttlMs: number;
}

/**
 * Real-time state shared by the gateway and the tank servers: per-server load and per-tank
 * stats that expire unless refreshed, and a network-wide stream of events.
 *
 * Every method is async, and every failure to reach the backing store is a
 * `RealtimeUnavailableError`, so callers can degrade (place by tank count, skip a stat)
 * instead of failing a request.
 *
 * @example
 * ```ts
 * await realtime.setLoad('server-1', load, { ttlMs: 30_000 });
 * const unsubscribe = await realtime.subscribe((event) => {
 *   if (event.type === 'tank_moved') cache.delete(event.tank_id);
 * });
 * ```
 */
export interface Realtime {
  /** Records a server's load; it is gone from `loads()` once `ttlMs` passes without a refresh. */
  setLoad(serverId: string, load: ServerLoad, options: ExpiryOptions): Promise<void>;
  /** Every server whose load has not expired. */
  loads(): Promise<Map<string, ServerLoad>>;
  /** Records a tank's live stats, expiring like `setLoad`. */
  setTankStats(tankId: string, stats: TankStats, options: ExpiryOptions): Promise<void>;
  /** Stats of the given tanks in one round trip; expired or unknown tanks are absent. */
  tankStats(tankIds: readonly string[]): Promise<Map<string, TankStats>>;
  /** Sends an event to every subscriber of every process sharing this state. */
  publish(event: NetworkEvent): Promise<void>;
  /** Calls `handler` for each event published from now on, and `onGap` when some may be missed. */
  subscribe(handler: EventHandler, options?: SubscribeOptions): Promise<Unsubscribe>;
  /** Ends subscriptions and connections; later calls resolve at once. */
  close(): Promise<void>;
}
