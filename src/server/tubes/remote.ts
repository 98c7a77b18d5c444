/**
 * @module
 * A tube move to another server's tank over the existing two-phase commit: the coordinator the
 * gateway also runs (`src/coordinator`), run in this process, with participants reached by
 * signed calls (batched per server, `/internal/transfers/steps`), at each server's address from
 * discovery or, in the mesh, through this server's own sidecar (`resolveServer`), as the
 * gateway's calls go. The log is the shared `transfers` table, so a move this process leaves
 * unfinished (killed mid-way) is finished by any gateway's recovery; the `requested_by` of a
 * tube's transfers is `tube:<connection id>`.
 */

import { createCoordinator, createParticipants } from '../../coordinator/index.ts';
import type { Discovery, ServerInstance } from '../../discovery/index.ts';
import { noCrash } from '../../fault/index.ts';
import type { Realtime } from '../../realtime/index.ts';
import { createServerClient, type ResolveServer } from '../../server-client/index.ts';
import type { Db } from '../../store/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { RemoteMove } from './mover.ts';

export interface RemoteMoveOptions {
  db: Db;
  realtime: Realtime;
  discovery: Discovery;
  logger: Logger;
  /** The internal secret the participants' steps are signed with. */
  secret: string;
  /** Where a participant's steps go; each healthy server's address from discovery when absent. */
  resolveServer?: ResolveServer;
  /** Per participant call. */
  timeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const remote = createRemoteMove({ db, realtime, discovery, logger, secret });
 * const committed = await remote({ sourceTankId, destTankId, entityId, destServer, connectionId });
 * ```
 */
export function createRemoteMove({
  db,
  realtime,
  discovery,
  logger,
  secret,
  resolveServer,
  timeoutMs = 3000,
}: RemoteMoveOptions): RemoteMove {
  let servers = new Map<string, ServerInstance>();
  const client = createServerClient({
    secret,
    resolveServer: (id) => {
      const s = servers.get(id);
      if (!s) return undefined;
      return resolveServer ? resolveServer(id) : { baseUrl: `http://${s.address}:${s.port}` };
    },
    timeoutMs,
  });
  const coordinator = createCoordinator({
    db,
    participants: createParticipants({ client, timeoutMs }),
    realtime,
    logger,
    crash: noCrash,
  });

  /** Discovery's healthy servers, read again when one of `ids` is not known yet. */
  async function know(ids: string[]): Promise<boolean> {
    if (ids.every((id) => servers.has(id))) return true;
    servers = new Map((await discovery.healthyServers()).map((s) => [s.serverId, s]));
    return ids.every((id) => servers.has(id));
  }

  return async function remoteMove({
    sourceTankId,
    destTankId,
    entityId,
    sourceServer,
    destServer,
    connectionId,
  }) {
    if (!(await know([sourceServer, destServer]))) return false;
    const answer = await coordinator.submit({
      request: {
        source_tank_id: sourceTankId,
        dest_tank_id: destTankId,
        entity_id: entityId,
        entity_type: 'fish',
      },
      key: undefined,
      requestedBy: `tube:${connectionId}`,
      sourceServer,
      destServer,
    });
    return answer.status === 200;
  };
}
