/**
 * @module
 * Tank archives over HTTP: download one (`GET /api/tanks/{id}/archive`, admin of the tank or an
 * operator), import one (`POST /api/tanks/import`, a gzip body up to `MAX_ARCHIVE_BYTES`), and,
 * for `tankworld backup`, every tank's id (`GET /api/archives`, operator). The gateway reads the
 * store itself: an archive is the newest snapshot and its journal, which need no server up.
 */
import type { Context } from 'hono';
import {
  ARCHIVE_MEDIA_TYPE,
  ARCHIVE_SUFFIX,
  archiveBodyOf,
  decodeArchive,
  encodeArchive,
  MAX_ARCHIVE_BYTES,
} from '../archive/index.ts';
import { ForbiddenError, hasScope, OPERATOR_SCOPE } from '../auth/index.ts';
import {
  ApiError,
  createRoute,
  type LargeBody,
  type OpenAPIHono,
  problemResponses,
  z,
} from '../http/index.ts';
import { listTanks, readTankArchiveParts } from '../store/index.ts';
import { tankNotFound } from './access.ts';
import { authorizedTank, type GatewayContext, type GatewayEnv } from './context.ts';
import { IMPORT_TARGETS } from './import-tank.ts';
import { LookupSchema, lookupView, TankIdParams } from './views.ts';

export const IMPORT_PATH = '/api/tanks/import';

/** The import route's own body limit, for `createApi({ largeBodies })`. */
export const ARCHIVE_BODY: LargeBody = {
  path: IMPORT_PATH,
  maxBytes: MAX_ARCHIVE_BYTES,
  code: 'archive_too_large',
};

const archiveRoute = createRoute({
  method: 'get',
  path: '/api/tanks/{id}/archive',
  tags: ['archives'],
  summary: "Download the tank's archive (admin): metadata, newest snapshot, its journal, grants",
  request: { params: TankIdParams },
  responses: {
    200: {
      description: 'a gzipped, versioned archive (src/archive/format.ts)',
      content: { [ARCHIVE_MEDIA_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...problemResponses(401, 403, 404),
  },
});

const importRoute = createRoute({
  method: 'post',
  path: IMPORT_PATH,
  tags: ['archives'],
  summary: 'Import a tank archive as a new tank, or onto its own id when that is free',
  description:
    "`onto=auto` (default): the archive's id when free, else a new id with fresh fish uids; " +
    '`same`: its id or 409 `tank_exists`; `new`: always a new id with fresh fish uids.',
  request: {
    query: z.object({ onto: z.enum(IMPORT_TARGETS).optional() }),
    body: {
      required: true,
      content: { [ARCHIVE_MEDIA_TYPE]: { schema: z.string().openapi({ format: 'binary' }) } },
    },
  },
  responses: {
    201: {
      description: 'imported and placed',
      content: {
        'application/json': {
          schema: LookupSchema.extend({ imported_from: z.string(), same_id: z.boolean() }),
        },
      },
    },
    ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/archives',
  tags: ['archives'],
  summary: 'Every tank id in the network, a page at a time (operator): what a backup archives',
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).optional(),
      cursor: z.string().max(200).optional(),
    }),
  },
  responses: {
    200: {
      description: 'a page of tank ids',
      content: {
        'application/json': {
          schema: z.object({ tank_ids: z.array(z.string()), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...problemResponses(400, 401, 403),
  },
});

function isOperator(c: Context<GatewayEnv>): boolean {
  return hasScope(c.var.user, OPERATOR_SCOPE);
}

async function readBody(c: Context<GatewayEnv>): Promise<Uint8Array> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== ARCHIVE_MEDIA_TYPE && type !== 'application/octet-stream')
    throw new ApiError('unsupported_media_type', `send the archive as ${ARCHIVE_MEDIA_TYPE}`);
  return new Uint8Array(await c.req.arrayBuffer());
}

export function registerArchiveRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  app.openapi(archiveRoute, async function downloadArchive(c) {
    const { id } = c.req.valid('param');
    if (!isOperator(c)) await authorizedTank(ctx, c, id, 'admin');
    const parts = await readTankArchiveParts(ctx.db, id);
    if (!parts) throw tankNotFound(id);
    const bytes = encodeArchive(archiveBodyOf(parts, new Date()));
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': ARCHIVE_MEDIA_TYPE,
      'content-disposition': `attachment; filename="${id}${ARCHIVE_SUFFIX}"`,
      'cache-control': 'no-store',
    }) as never;
  });

  app.openapi(importRoute, async function importArchive(c) {
    const onto = c.req.valid('query').onto ?? 'auto';
    const body = decodeArchive(await readBody(c));
    const { record, sameId } = await ctx.importer.import({
      body,
      onto,
      userId: c.var.user.userId,
      keepOwner: isOperator(c),
    });
    const server = record.serverId === null ? undefined : ctx.directory.get(record.serverId);
    if (!server)
      throw new ApiError('tank_unavailable', `tank ${record.tankId} was imported; its server left`);
    ctx.access.invalidate(record.tankId);
    return c.json(
      { ...lookupView(record, server), imported_from: body.tank.tank_id, same_id: sameId },
      201,
    ) as never;
  });

  app.openapi(listRoute, async function listArchivable(c) {
    if (!isOperator(c)) throw new ForbiddenError(`the ${OPERATOR_SCOPE} scope is required`);
    const { limit, cursor } = c.req.valid('query');
    const page = await listTanks(ctx.db, { limit, cursor });
    return c.json({ tank_ids: page.items.map((i) => i.tank.tankId), next_cursor: page.nextCursor }, 200);
  });
}
