/**
 * @module
 * A tank server's HTTP app: the middleware (metrics, misdirected requests, the gateway's
 * signature, limits, bearer auth) and every route group, over the parts `parts.ts` builds; and
 * the fetch the public port serves when a mesh listener takes `/internal/*`.
 */
import { bearerAuth } from '../auth/index.ts';
import type { ServerInstance } from '../discovery/index.ts';
import { ApiError, createApi, type OpenAPIHono, observe, problemResponse, toProblem } from '../http/index.ts';
import { limitRequests } from '../limits/index.ts';
import type { ServerContext, ServerEnv } from './context.ts';
import { refuseWhileFenced } from './fencing.ts';
import { forwardedByGateway } from './forwarded.ts';
import { refuseMisdirected } from './misdirected.ts';
import { SERVER_VERSION, type TankServerOptions } from './options.ts';
import type { ServerParts } from './parts.ts';
import { registerDeathsRoute } from './routes-deaths.ts';
import { registerEntityRoutes } from './routes-entities.ts';
import { registerFishRoutes } from './routes-fish.ts';
import { registerInternalRoutes } from './routes-internal.ts';
import { registerLineageRoute } from './routes-lineage.ts';
import { registerMetaRoutes } from './routes-meta.ts';
import { registerSnapshotRoutes } from './routes-snapshots.ts';
import { registerTankRoutes } from './routes-tanks.ts';
import { registerTransferRoutes, registerTransferStepsRoute } from './transfers/index.ts';

/**
 * @example
 * ```ts
 * const app = createServerApp({ parts, options, self: () => registrationWithLoad() });
 * ```
 */
export function createServerApp({
  parts,
  options,
  self,
}: {
  parts: ServerParts;
  options: TankServerOptions;
  /** This server as discovery would list it (for `/health` and `/api/servers`). */
  self: () => ServerInstance;
}): OpenAPIHono<ServerEnv> {
  const { serverId, logger, limits, registry, startedAt, host, tanks, snapshotter, participant, handOff } =
    parts;
  const { db, discovery, verifier, internalVerifier } = options;
  const ctx: ServerContext = {
    serverId,
    version: SERVER_VERSION,
    db,
    host,
    tanks,
    snapshotter,
    handOff,
    logger,
  };
  const app = createApi<ServerEnv>({ logger });
  app.use(
    '*',
    observe({ registry, name: 'tankworld_server', logger, accessLogLevel: options.accessLogLevel }),
  );
  app.use('*', refuseMisdirected({ serverId }));
  // Fenced (lease run out): no command, read of a tank or transfer step; `/health` and
  // `/metrics` still answer. Before auth, so a fenced server does no work for the request.
  const whileFenced = refuseWhileFenced(parts.fencing);
  app.use('/api/tanks', whileFenced);
  app.use('/api/tanks/*', whileFenced);
  app.use('/internal/*', whileFenced);
  const fromGateway = forwardedByGateway({ verifier: internalVerifier });
  app.use('*', fromGateway.middleware);
  app.use('*', limitRequests({ limits, byAddress: true, exempt: fromGateway.exempt }));
  app.use('/api/tanks', bearerAuth({ verifier }));
  app.use('/api/tanks/*', bearerAuth({ verifier }));
  // The network's servers and their public tanks (with owners) are for users, not for anyone who can reach the port.
  app.use('/api/servers', bearerAuth({ verifier }));
  app.use('/api/*', limitRequests({ limits, byUser: true }));
  app.use(
    '/api/tanks',
    limitRequests({ limits, kind: 'creates', byUser: true, method: 'POST' }),
    limitRequests({ limits, kind: 'creates', byAddress: true, method: 'POST', exempt: fromGateway.exempt }),
  );
  registerTankRoutes(app, ctx);
  registerEntityRoutes(app, ctx);
  registerDeathsRoute(app, ctx);
  registerFishRoutes(app, ctx);
  registerSnapshotRoutes(app, ctx);
  registerInternalRoutes(app, ctx, internalVerifier);
  registerLineageRoute(app, ctx);
  registerTransferRoutes(app, serverId, participant);
  registerTransferStepsRoute(app, { participant, logger });

  registerMetaRoutes(app, ctx, { discovery, registry, startedAt, self, lease: parts.fencing.state });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Tank World Net — tank server', version: SERVER_VERSION },
  });
  return app;
}

/**
 * What the public port serves: the whole app, or, with a mesh listener, the app less
 * `/internal/*`, answered as if there were no such route.
 */
export function publicFetchOf(app: OpenAPIHono<ServerEnv>, meshPort: number | undefined): typeof app.fetch {
  if (meshPort === undefined) return app.fetch;
  return (request, ...rest) =>
    isInternalPath(request.url)
      ? problemResponse(
          toProblem(
            new ApiError('not_found', `no route for ${request.method} ${new URL(request.url).pathname}`),
          ),
        )
      : app.fetch(request, ...rest);
}

/** `/internal` and everything under it: the gateway's and the other servers' API. */
function isInternalPath(url: string): boolean {
  const { pathname } = new URL(url);
  return pathname === '/internal' || pathname.startsWith('/internal/');
}
