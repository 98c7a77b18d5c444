/**
 * @module
 * Production auth with processes: a `tankworld gateway` and a `tankworld server` with
 * `JWKS_URL`, `JWT_ISSUER` and `JWT_AUDIENCE` naming an identity provider (here an HTTP server
 * in the test serving its RS256 public key). Its tokens work on the gateway, on a proxied call
 * (the server checks them again) and on the tank's WebSocket; an HS256 token (no `JWT_SECRET`
 * is set: none is needed with a provider), a token for another audience or issuer, and one
 * signed by a key the provider does not publish are refused with 401 problems.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.ts';
import { openViewer } from '../server/viewer.ts';
import {
  distributedEnv,
  freePorts,
  startConsul,
  startRedis,
  startTankworld,
  useCleanup,
  useDatabase,
  waitFor,
} from '../support/index.ts';

const cleanup = useCleanup();
const SECRET = 'gateway-jwks-secret-0123456789';
const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'tank-world-api';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** An identity provider's token for `sub`, signed with `key` under key id `kid`. */
async function idpToken(
  key: Key,
  { sub = 'alice', kid = 'idp-key-1', issuer = ISSUER, audience = AUDIENCE } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

describe('the gateway and a server on an identity provider’s JWKS', () => {
  it("should accept the provider's tokens everywhere and refuse every other token", async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const stranger = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
    const idp = createServer((req, res) => {
      res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/.well-known/jwks.json' ? { keys: [jwk] } : {}));
    });
    idp.listen(0, '127.0.0.1');
    await once(idp, 'listening');
    cleanup.add(() => {
      idp.closeAllConnections();
      idp.close();
    });

    const [consul, redis, database] = await Promise.all([
      startConsul({ cleanup }),
      startRedis({ cleanup }),
      useDatabase({ cleanup }),
    ]);
    const [gatewayPort, serverPort] = await freePorts(2);
    const env = {
      // No JWT_SECRET: user tokens come from the provider, only internal calls need a secret.
      ...distributedEnv({ consul, database, redis, secret: SECRET, userTokens: 'jwks' }),
      JWKS_URL: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    };
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await startTankworld({ role: 'gateway', id: 'gw-jwks', port: gatewayPort!, env, cleanup });
    await startTankworld({ role: 'server', id: 'srv-jwks', port: serverPort!, env, cleanup });

    const token = await idpToken(privateKey);
    const call = (route: string, bearer: string, init: RequestInit = {}) =>
      fetch(`${gatewayUrl}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      });
    await waitFor(
      async () => {
        const body = (await (await call('/api/servers', token)).json()) as {
          servers: Array<{ health: string }>;
        };
        return body.servers.some((s) => s.health === 'passing');
      },
      { what: 'the server passing at the gateway', timeout: 30_000 },
    );

    // The provider's token: create, a proxied read the server checks again, the WebSocket.
    const created = await call('/api/tanks', token, {
      method: 'POST',
      body: JSON.stringify({ name: 'Federated' }),
    });
    expect(created.status).toBe(201);
    const lookup = (await created.json()) as {
      tank: { tank_id: string; owner: string };
      websocket_url: string;
    };
    expect(lookup.tank.owner).toBe('alice');
    const stats = await call(`/api/tanks/${lookup.tank.tank_id}/stats`, token);
    expect(stats.status).toBe(200);
    expect(stats.headers.get('x-tank-server')).toBe('srv-jwks');
    const viewer = openViewer(`${lookup.websocket_url}?token=${token}`);
    cleanup.add(() => viewer.ws.terminate());
    await waitFor(() => viewer.frames.length >= 1, { what: 'a frame on the WebSocket', timeout: 20_000 });
    viewer.ws.terminate();

    // Everything else is refused, on the gateway and on the server behind it.
    const refused: Array<[string, string]> = [
      ['an HS256 token', await mintToken({ secret: SECRET, userId: 'alice' })],
      [
        'an HS256 token with the provider’s issuer and audience',
        await mintToken({ secret: SECRET, userId: 'alice', issuer: ISSUER, audience: AUDIENCE }),
      ],
      ['another audience', await idpToken(privateKey, { audience: 'someone-else' })],
      ['another issuer', await idpToken(privateKey, { issuer: 'https://evil.example.test/' })],
      ['a key the provider does not publish', await idpToken(stranger)],
    ];
    for (const [what, bad] of refused) {
      for (const route of [
        `/gateway/tanks/${lookup.tank.tank_id}`,
        `/api/tanks/${lookup.tank.tank_id}/stats`,
      ]) {
        const res = await call(route, bad);
        expect({ what, route, status: res.status }).toEqual({ what, route, status: 401 });
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(((await res.json()) as { code: string }).code).toBe('invalid_token');
      }
      const direct = await fetch(`http://127.0.0.1:${serverPort}/api/tanks/${lookup.tank.tank_id}/stats`, {
        headers: { authorization: `Bearer ${bad}` },
      });
      expect({ what, status: direct.status }).toEqual({ what, status: 401 });
    }
  });
});
