/**
 * @module
 * Creating a tank somewhere in the network without ever leaving an orphan. The gateway picks the
 * tank id, so every attempt (a retry after a timeout, or the next server after a failure) names
 * the same tank, and the primary key lets at most one server's transaction commit it. After any
 * failure the location row is the truth: if it exists the tank was created (wherever it runs),
 * if not nothing was and the next server may try.
 */
import { randomUUID } from 'node:crypto';
import type { ServerInstance } from '../discovery/index.ts';
import { ApiError } from '../http/index.ts';
import type { CreatedTank, ServerClient } from '../server-client/index.ts';
import { getLocation, getTank } from '../store/index.ts';
import { SERVER_ID } from './live-move.ts';
import { inRegion } from './placement.ts';
import type { Placing } from './placing.ts';
import { type TankRecord, toRecord } from './views.ts';

/** What a caller asks for: the server's create body, and where it may go. */
export interface CreateTankRequest {
  name: string;
  description?: string;
  seed?: number;
  is_public?: boolean;
  allow_transfers?: boolean;
  initial_fish?: number;
  /** Only servers in this region (or zone). */
  region?: string;
  /** Only this server. */
  server_id?: string;
}

export interface TankCreator {
  /**
   * Places and creates a tank owned by `owner`; returns its record. `peers`: the servers of the
   * tanks it will be connected to (placement follows them when load allows).
   */
  create(
    request: CreateTankRequest,
    owner: string,
    options?: { peers?: Record<string, number> },
  ): Promise<TankRecord>;
}

export interface TankCreatorOptions extends Placing {
  /** Attempts on one server while it times out, before moving on (same tank id each time). */
  attemptsPerServer?: number;
}

function fromCreated(created: CreatedTank, serverId: string): TankRecord {
  const t = created.tank;
  return {
    tankId: t.tank_id,
    name: t.name,
    description: t.description,
    owner: t.owner,
    isPublic: t.is_public,
    allowTransfers: t.allow_transfers,
    seed: t.seed,
    createdAt: t.created_at,
    serverId,
    epoch: created.epoch,
  };
}

/**
 * Statuses of a refusal that another server would give too: the body itself is wrong. Any other
 * answer (401 from a server with another internal secret, 421 from a misrouting mesh, 404 from
 * an older server, 409 `tank_exists`) says something about that server: the next one is tried.
 */
const BODY_REFUSALS = new Set([400, 413, 415, 422]);

/** Refusals about the caller, not the server: every server would give them too. */
const CALLER_REFUSALS = new Set(['tank_quota_exceeded', 'rate_limited']);

function isRefusal(err: unknown): boolean {
  return err instanceof ApiError && (BODY_REFUSALS.has(err.status) || CALLER_REFUSALS.has(err.code));
}

/**
 * @example
 * ```ts
 * const creator = createTankCreator({ db, directory, realtime, placement, loads, serverClient, cache, logger });
 * const record = await creator.create({ name: 'Reef', region: 'eu-west-1' }, 'alice');
 * ```
 */
export function createTankCreator({
  db,
  directory,
  realtime,
  placement,
  loads,
  serverClient,
  cache,
  logger,
  attemptsPerServer = 2,
}: TankCreatorOptions): TankCreator {
  async function attempt(
    serverId: string,
    body: Parameters<ServerClient['createTank']>[1],
  ): Promise<CreatedTank> {
    for (let n = 1; ; n++) {
      try {
        return await serverClient.createTank(serverId, body);
      } catch (err) {
        const timedOut = err instanceof ApiError && err.code === 'upstream_timeout';
        if (!timedOut || n >= attemptsPerServer) throw err;
        logger.warn(
          { server_id: serverId, tank_id: body.tank_id, attempt: n },
          'create timed out; retrying the same tank id',
        );
      }
    }
  }

  /** The tank as the database has it, if any attempt committed it. */
  async function committed(tankId: string): Promise<TankRecord | undefined> {
    const location = await getLocation(db, tankId);
    if (!location) return undefined;
    const tank = await getTank(db, tankId);
    return tank ? toRecord(tank, location) : undefined;
  }

  function done(record: TankRecord): TankRecord {
    cache.put(record);
    if (record.serverId) loads.placed(record.serverId);
    const at = new Date().toISOString();
    realtime
      .publish({ type: 'tank_created', tank_id: record.tankId, server_id: record.serverId ?? 'unknown', at })
      .catch((err) =>
        logger.warn(
          { err: (err as Error).message, tank_id: record.tankId },
          'could not publish tank_created',
        ),
      );
    logger.info({ tank_id: record.tankId, server_id: record.serverId }, 'tank created');
    return record;
  }

  /**
   * The servers a create may go to: the one the caller chose (checked here, so a refusal names
   * the reason), those in the caller's region, or every healthy one.
   */
  function allowed({ server_id: chosen, region }: CreateTankRequest): ServerInstance[] {
    if (chosen !== undefined) return [checkedChoice(chosen, region)];
    const healthy = directory.healthy();
    if (region === undefined) return healthy;
    const local = healthy.filter((s) => inRegion(s, region));
    if (local.length === 0)
      throw new ApiError('placement_unavailable', `no healthy server in region ${JSON.stringify(region)}`);
    return local;
  }

  /**
   * A chosen server, if it may take a tank now. `warning` is refused too: a server reports it
   * while draining, dropping ticks or above its soft tank limit, and placement sends nothing
   * new there. Whether it is full at its hard limit only the server knows: its refusal is
   * answered like these (see `create`).
   */
  function checkedChoice(serverId: string, region: string | undefined): ServerInstance {
    if (!SERVER_ID.test(serverId))
      throw new ApiError('invalid_placement_target', `not a server id: ${JSON.stringify(serverId)}`);
    const server = directory.get(serverId);
    const refuse = (why: string) => new ApiError('placement_unavailable', `server ${serverId} ${why}`);
    if (server === undefined) throw refuse('is unknown');
    if (server.status === 'critical') throw refuse('is not healthy');
    if (server.status === 'warning') throw refuse('is draining or saturated');
    if (region !== undefined && !inRegion(server, region))
      throw refuse(`is not in region ${JSON.stringify(region)}`);
    return server;
  }

  return {
    async create(request, owner, { peers } = {}) {
      const { region, server_id: chosen, ...rest } = request;
      const allowedIds = new Set(allowed(request).map((s) => s.serverId));
      const body = { ...rest, tank_id: randomUUID(), owner };
      const tried = new Set<string>();
      const failures: string[] = [];
      for (;;) {
        const candidates = directory
          .healthy()
          .filter((s) => allowedIds.has(s.serverId) && !tried.has(s.serverId));
        // Held until answered, so concurrent creates see this one and choose around it.
        const choice =
          candidates.length > 0
            ? await loads.choose(placement, candidates, { regionHint: region, tankId: body.tank_id, peers })
            : undefined;
        if (choice === undefined) {
          // A timed-out attempt may have committed after we looked: look once more before failing.
          const late = failures.length > 0 ? await committed(body.tank_id) : undefined;
          if (late) return done(late);
          const detail = failures.length > 0 ? `; tried ${failures.join('; ')}` : '';
          // Where the caller named the server or region, none other may take the tank instead.
          if (chosen !== undefined || region !== undefined)
            throw new ApiError('placement_unavailable', `no server allowed could take the tank${detail}`);
          throw new ApiError('no_healthy_server', `no healthy tank server could take the tank${detail}`);
        }
        const { serverId } = choice;
        tried.add(serverId);
        try {
          return done(fromCreated(await attempt(serverId, body), serverId));
        } catch (err) {
          const found = await committed(body.tank_id);
          if (found) return done(found);
          if (isRefusal(err)) throw err;
          failures.push(`${serverId} (${(err as Error).message})`);
          logger.warn(
            { err: (err as Error).message, server_id: serverId, tank_id: body.tank_id },
            'create failed; trying the next server',
          );
        } finally {
          choice.release();
        }
      }
    },
  };
}
