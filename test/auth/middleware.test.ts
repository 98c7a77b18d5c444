import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  type AuthEnv,
  AuthError,
  bearerAuth,
  createInternalVerifier,
  createTokenVerifier,
  internalAuth,
  mintToken,
  type PermissionEnv,
  type PermissionLevel,
  requireLevel,
  signRequest,
  tokenFromRequest,
} from '../../src/auth/index.ts';

const secret = 'a-development-secret-of-some-length';
const internalSecret = 'an-internal-secret-for-tests';

/** The app-level error mapping lives elsewhere; this is the smallest stand-in. */
function onError(err: Error) {
  if (err instanceof AuthError) return Response.json({ code: err.code }, { status: err.status });
  return Response.json({ code: 'internal', message: err.message }, { status: 500 });
}

describe('bearerAuth', () => {
  const app = new Hono<AuthEnv>();
  app.onError(onError);
  app.use('/api/*', bearerAuth({ verifier: createTokenVerifier({ secret }) }));
  app.get('/api/me', (c) => c.json(c.var.user));

  it('should let a valid token through and set the user', async () => {
    const token = await mintToken({ secret, userId: 'alice' });
    const res = await app.request('/api/me', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ userId: 'alice' });
  });

  it.each([
    ['no header', {}, 401, 'missing_token'],
    ['another scheme', { authorization: 'Basic YWxpY2U6cHc=' }, 401, 'missing_token'],
    ['a bad token', { authorization: 'Bearer nope' }, 401, 'invalid_token'],
  ])('should answer %s with %i %s', async (_, headers, status, code) => {
    const res = await app.request('/api/me', { headers });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ code });
  });

  it('should answer an expired token with 401 expired_token', async () => {
    const token = await mintToken({ secret, userId: 'alice', ttlSeconds: 1, now: Date.now() - 60_000 });
    const res = await app.request('/api/me', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 'expired_token' });
  });

  it('should take a query token on a WebSocket upgrade only', async () => {
    const token = await mintToken({ secret, userId: 'alice' });
    const upgrade = await app.request(`/api/me?token=${token}`, { headers: { upgrade: 'websocket' } });
    expect(upgrade.status).toBe(200);
    const plain = await app.request(`/api/me?token=${token}`);
    expect(plain.status).toBe(401);
  });
});

describe('tokenFromRequest', () => {
  it('should read Node-style headers of an upgrade request', () => {
    expect(tokenFromRequest('/ws/tank-1?token=abc.def.ghi', { upgrade: 'WebSocket' })).toBe('abc.def.ghi');
    expect(
      tokenFromRequest('/ws/tank-1?token=abc', { upgrade: 'websocket', authorization: 'Bearer xyz' }),
    ).toBe('xyz');
    expect(tokenFromRequest('/ws/tank-1', { upgrade: 'websocket' })).toBeUndefined();
    expect(tokenFromRequest('/ws/tank-1?token=abc', {})).toBeUndefined();
  });

  it('should read a fetch Headers object, with the scheme in any case', () => {
    expect(tokenFromRequest('http://x/api', new Headers({ authorization: 'bearer  t0k ' }))).toBe('t0k');
  });
});

describe('requireLevel', () => {
  const levels: Record<string, PermissionLevel> = { 'alice:t1': 'admin', 'bob:t1': 'read' };
  const lookupLevel = async (userId: string, tankId: string) => {
    if (tankId === 'missing') throw Object.assign(new Error('no such tank'), { code: 'tank_not_found' });
    return levels[`${userId}:${tankId}`];
  };
  const app = new Hono<PermissionEnv>();
  app.onError((err) =>
    (err as { code?: string }).code === 'tank_not_found'
      ? Response.json({ code: 'tank_not_found' }, { status: 404 })
      : onError(err),
  );
  app.use('/api/*', bearerAuth({ verifier: createTokenVerifier({ secret }) }));
  app.put('/api/tanks/:id', requireLevel({ needed: 'write', lookupLevel }), (c) =>
    c.json({ level: c.var.level }),
  );

  async function put(userId: string, tankId: string) {
    const token = await mintToken({ secret, userId });
    return app.request(`/api/tanks/${tankId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
    });
  }

  it('should let a user with enough level through and tell the route the level', async () => {
    const res = await put('alice', 't1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ level: 'admin' });
  });

  it('should answer 403 forbidden to a read-only user and to a stranger', async () => {
    for (const user of ['bob', 'carol']) {
      const res = await put(user, 't1');
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ code: 'forbidden' });
    }
  });

  it('should pass on what the lookup throws', async () => {
    expect((await put('alice', 'missing')).status).toBe(404);
  });

  it('should refuse to be built with an unknown level', () => {
    expect(() => requireLevel({ needed: 'owner' as PermissionLevel, lookupLevel })).toThrow(TypeError);
  });
});

describe('internalAuth', () => {
  function makeApp() {
    const app = new Hono();
    app.onError(onError);
    app.use('/internal/*', internalAuth({ verifier: createInternalVerifier({ secret: internalSecret }) }));
    app.post('/internal/tanks', async (c) =>
      c.json({ json: await c.req.json(), text: await c.req.text() }, 201),
    );
    app.get('/internal/health', (c) => c.json({ ok: true }));
    return app;
  }

  function signed(path: string, body: string, method = 'POST') {
    const headers = signRequest({ secret: internalSecret, method, path, body });
    return { method, body, headers: { ...headers, 'content-type': 'application/json' } };
  }

  it('should let a signed request through with its body still readable', async () => {
    const app = makeApp();
    const body = JSON.stringify({ tank_id: 't1' });
    const res = await app.request('/internal/tanks?restore=1', signed('/internal/tanks?restore=1', body));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ json: { tank_id: 't1' }, text: body });
  });

  it('should let a signed GET through', async () => {
    const app = makeApp();
    const headers = signRequest({ secret: internalSecret, method: 'GET', path: '/internal/health' });
    expect((await app.request('/internal/health', { headers })).status).toBe(200);
  });

  it('should refuse unsigned, tampered and replayed requests with 401 invalid_signature', async () => {
    const app = makeApp();
    const body = JSON.stringify({ tank_id: 't1' });
    const unsigned = await app.request('/internal/tanks', { method: 'POST', body });
    const init = signed('/internal/tanks', body);
    const tampered = await app.request('/internal/tanks', {
      ...init,
      body: JSON.stringify({ tank_id: 't2' }),
    });
    const otherPath = await app.request('/internal/tanks?restore=1', init);
    const first = await app.request('/internal/tanks', init);
    const replayed = await app.request('/internal/tanks', init);
    expect(first.status).toBe(201);
    for (const res of [unsigned, tampered, otherPath, replayed]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: 'invalid_signature' });
    }
  });
});
