/**
 * @module
 * Tank archives through real processes (Consul, PostgreSQL, Redis, a gateway, a tank server):
 * `tankworld export`, a delete and `tankworld import` bring the tank back on its own id with the
 * same fish (uids, genomes, positions), frame and grants; importing the same archive again gives
 * a second tank whose fish share no uid with the first. Then every refusal, each with its
 * problem code and no row written: corrupt, truncated, foreign, newer-versioned, a bad snapshot
 * inside a good envelope, too big, over the owner's quota, and a caller who is not the admin.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_FORMAT, MAX_ARCHIVE_BYTES } from '../../src/archive/index.ts';
import { useCleanup } from '../support/index.ts';
import { rawRequest } from '../support/raw-http.ts';
import { type Network, quietTank, startNetwork, TANK_QUOTA } from './network.ts';

const cleanup = useCleanup();
let net: Network;
let dir: string;

beforeAll(async () => {
  net = await startNetwork({ cleanup });
  dir = await mkdtemp(path.join(tmpdir(), 'tankworld-archive-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
}, 90_000);

/** Rows of every table an import writes, to show a refusal wrote none. */
async function rowCounts(): Promise<Record<string, number>> {
  const [row] = await net.sql<Array<Record<string, string>>>`
    select (select count(*) from tanks) as tanks, (select count(*) from tank_locations) as locations,
           (select count(*) from tank_snapshots) as snapshots, (select count(*) from tank_permissions) as grants`;
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

async function postArchive(user: string, bytes: Uint8Array, onto = 'auto') {
  const res = await fetch(`${net.gatewayUrl}/api/tanks/import?onto=${onto}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await net.token(user)}`, 'content-type': 'application/gzip' },
    body: new Uint8Array(bytes),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** An envelope around `body` as the format writes it, with a right checksum unless told. */
function envelope(body: unknown, { format = ARCHIVE_FORMAT, version = 1 } = {}): Buffer {
  const text = JSON.stringify(body);
  const sha256 = createHash('sha256').update(text).digest('hex');
  return gzipSync(JSON.stringify({ format, version, sha256, body }));
}

describe('tank archives through the gateway', () => {
  let tankId: string;
  let file: string;
  let before: Awaited<ReturnType<Network['fish']>>;

  it('should export, delete and import a tank onto its own id with the same fish, frame and grants', async () => {
    tankId = await quietTank(net, 'alice', 'Archived reef');
    await net.call('alice', 'POST', `/api/tanks/${tankId}/permissions`, 200, {
      user_id: 'bob',
      permission: 'read',
    });
    before = await net.fish('alice', tankId);
    expect(before.fish.length).toBeGreaterThan(0);

    file = path.join(dir, 'reef.tankworld.gz');
    const exported = await net.cli(['export', tankId, file], { TANKWORLD_TOKEN: await net.token('alice') });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/downloaded .* \(100%\)/);

    await net.call('alice', 'DELETE', `/api/tanks/${tankId}`, 200);
    await net.call('alice', 'GET', `/api/tanks/${tankId}`, 404);

    const imported = await net.cli(['import', file], { TANKWORLD_TOKEN: await net.token('alice') });
    expect(imported.code, imported.stderr).toBe(0);
    const answer = JSON.parse(imported.stdout) as { tank: { tank_id: string }; same_id: boolean };
    expect(answer).toMatchObject({ tank: { tank_id: tankId }, same_id: true });

    const after = await net.fish('alice', tankId);
    expect(after.frame).toBe(before.frame);
    expect(after.fish).toEqual(before.fish);
    const grants = await net.call<{ permissions: Array<{ user_id: string; permission: string }> }>(
      'alice',
      'GET',
      `/api/tanks/${tankId}/permissions`,
      200,
    );
    expect(grants.permissions.map((g) => [g.user_id, g.permission]).sort()).toEqual([
      ['alice', 'admin'],
      ['bob', 'read'],
    ]);
  });

  it('should import the same archive again as a new tank whose fish share no uid with the first', async () => {
    const again = await postArchive('alice', await readFile(file));
    expect(again.status).toBe(201);
    const newId = (again.body.tank as { tank_id: string }).tank_id;
    expect(newId).not.toBe(tankId);
    expect(again.body.same_id).toBe(false);
    const copy = await net.fish('alice', newId);
    const uids = new Set(before.fish.map((f) => f.uid));
    expect(copy.fish.filter((f) => uids.has(f.uid))).toEqual([]);
    expect(copy.fish.every((f) => String(f.uid).startsWith(`${newId}.`))).toBe(true);
    // Everything but the uid is the same fish: genome, position, energy, local id.
    const withoutUid = (fish: typeof before.fish) =>
      fish.map(({ uid: _, ...rest }) => rest).sort((a, b) => Number(a.id) - Number(b.id));
    expect(withoutUid(copy.fish)).toEqual(withoutUid(before.fish));
    expect(copy.frame).toBe(before.frame);
  });

  it('should refuse damaged, foreign, newer and oversized archives saying why, writing nothing', async () => {
    const good = await readFile(file);
    const body = JSON.parse(gunzipSync(good).toString('utf8')).body as Record<string, unknown>;
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    const cases: Array<[string, Uint8Array, number, string]> = [
      ['corrupt gzip', flipped, 400, 'archive_corrupt'],
      ['truncated', good.subarray(0, Math.floor(good.length / 2)), 400, 'archive_truncated'],
      ['not gzip', Buffer.from('PK\u0003\u0004 a zip file'), 415, 'archive_foreign'],
      ['another format', envelope(body, { format: 'someone-elses-backup' }), 415, 'archive_foreign'],
      ['gzipped other JSON', gzipSync('{"hello":"world"}'), 415, 'archive_foreign'],
      ['newer version', envelope(body, { version: 2 }), 422, 'archive_version_unsupported'],
      [
        'checksum mismatch',
        gzipSync(JSON.stringify({ format: ARCHIVE_FORMAT, version: 1, sha256: '0'.repeat(64), body })),
        400,
        'archive_corrupt',
      ],
      [
        'bad snapshot',
        envelope({ ...body, snapshot: { ...(body.snapshot as object), state: { version: 1, world: {} } } }),
        400,
        'archive_corrupt',
      ],
      ['bad shape', envelope({ ...body, journal: 'none' }), 400, 'archive_corrupt'],
    ];
    const rowsBefore = await rowCounts();
    for (const [name, bytes, status, code] of cases) {
      const answer = await postArchive('alice', bytes);
      expect([name, answer.status, answer.body.code]).toEqual([name, status, code]);
      expect(answer.type).toContain('application/problem+json');
      expect(answer.body.detail).toEqual(expect.any(String));
    }
    // Too big: refused on its declared length, before a byte of it is read (a body sent with it
    // would meet a closed connection, so the head goes alone).
    const tooBig = await rawRequest(net.gatewayUrl, [
      'POST /api/tanks/import HTTP/1.1',
      `Host: ${new URL(net.gatewayUrl).host}`,
      `Authorization: Bearer ${await net.token('alice')}`,
      'Content-Type: application/gzip',
      `Content-Length: ${MAX_ARCHIVE_BYTES + 1}`,
    ]);
    expect(tooBig.head).toMatch(/^HTTP\/1\.1 413 /);
    const problem = tooBig.body.slice(tooBig.body.indexOf('{'), tooBig.body.lastIndexOf('}') + 1);
    expect(JSON.parse(problem)).toMatchObject({ code: 'archive_too_large', status: 413 });
    expect(await rowCounts()).toEqual(rowsBefore);
  });

  it('should refuse an import over the owner’s quota or onto a taken id, writing nothing', async () => {
    // alice owns the tank and its copy; a third reaches the quota.
    await net.call('alice', 'POST', '/api/tanks', 201, { name: 'Third', initial_fish: 1 });
    expect(TANK_QUOTA).toBe(3);
    const rowsBefore = await rowCounts();
    const overQuota = await postArchive('alice', await readFile(file), 'new');
    expect([overQuota.status, overQuota.body.code]).toEqual([403, 'tank_quota_exceeded']);
    const taken = await postArchive('bob', await readFile(file), 'same');
    expect([taken.status, taken.body.code]).toEqual([409, 'tank_exists']);
    expect(await rowCounts()).toEqual(rowsBefore);
  });

  it('should give the archive only to the tank’s admin: 403 for a reader, 404 for a stranger', async () => {
    const reader = await fetch(`${net.gatewayUrl}/api/tanks/${tankId}/archive`, {
      headers: { authorization: `Bearer ${await net.token('bob')}` },
    });
    expect([reader.status, ((await reader.json()) as { code: string }).code]).toEqual([403, 'forbidden']);
    const exported = await net.cli(['export', tankId, path.join(dir, 'nope.gz')], {
      TANKWORLD_TOKEN: await net.token('bob'),
    });
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain('forbidden (403)');
    await net.call('carol', 'GET', `/api/tanks/${tankId}/archive`, 404);
  });
});
