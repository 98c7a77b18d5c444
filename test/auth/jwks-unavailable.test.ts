/**
 * @module
 * An identity provider that cannot give its keys is the network's problem, not the caller's:
 * a JWKS endpoint that refuses connections, answers 500, or serves something that is not a key
 * set makes verification fail with `auth_unavailable` (503 problem, retry later) instead of a
 * 401 that would send a user with a good token to log in again, or a 500. A token whose key the
 * provider does not publish is still a 401, and once the provider answers again tokens verify.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthEnv, bearerAuth, createTokenVerifier, KeysUnavailableError } from '../../src/auth/index.ts';
import { createApi } from '../../src/http/index.ts';
import { createLogger } from '../../src/telemetry/index.ts';
import { freePort } from '../support/index.ts';

type Mode = 'ok' | 'error' | 'not-json' | 'not-a-key-set';
let mode: Mode = 'ok';
let jwksUrl: string;
let privateKey: CryptoKey;
const server = createServer((_req, res) => {
  if (mode === 'error') {
    res.writeHead(500).end('upstream exploded');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  if (mode === 'not-json') res.end('<html>maintenance</html>');
  else if (mode === 'not-a-key-set') res.end(JSON.stringify({ status: 'maintenance' }));
  else res.end(JSON.stringify({ keys: [jwk] }));
});
let jwk: Record<string, unknown>;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

function token(kid = 'k1'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject('dana')
    .setIssuer('tankworld')
    .setAudience('tankworld')
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('a JWKS endpoint that cannot give its keys', () => {
  it('should be auth_unavailable (503) when the provider refuses connections', async () => {
    const verifier = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${await freePort()}/jwks.json` });
    const err = await verifier.verify(await token()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeysUnavailableError);
    expect(err).toMatchObject({ code: 'auth_unavailable', status: 503 });
  });

  it.each<Mode>(['error', 'not-json', 'not-a-key-set'])(
    'should be auth_unavailable when the provider answers %s, and verify once it answers again',
    async (broken) => {
      const verifier = createTokenVerifier({ jwksUrl });
      mode = broken;
      await expect(verifier.verify(await token())).rejects.toMatchObject({ code: 'auth_unavailable' });
      mode = 'ok';
      expect(await verifier.verify(await token())).toEqual({ userId: 'dana' });
    },
  );

  it('should still be invalid_token (401) for a key the provider does not publish', async () => {
    mode = 'ok';
    const verifier = createTokenVerifier({ jwksUrl });
    await expect(verifier.verify(await token('k-unknown'))).rejects.toMatchObject({
      code: 'invalid_token',
      status: 401,
    });
  });

  it('should answer a request as a 503 problem with no stack trace', async () => {
    const verifier = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${await freePort()}/jwks.json` });
    const app = createApi<AuthEnv>({ logger: createLogger({ level: 'silent' }) });
    app.use('/api/*', bearerAuth({ verifier }));
    app.get('/api/me', (c) => c.json({ user_id: c.var.user.userId }));
    const res = await app.request('/api/me', { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      type: '/problems/auth_unavailable',
      status: 503,
      code: 'auth_unavailable',
    });
    expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  });
});
