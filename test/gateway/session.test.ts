/**
 * @module
 * The web app's session: a pasted token is posted once to `POST /api/session`, which verifies it
 * and answers with an HttpOnly, SameSite=Strict cookie (Secure over https); the gateway then
 * takes that cookie where no Authorization header is given, but only from its own pages (a
 * cross-site `Sec-Fetch-Site` is refused, and an unsafe method needs `X-Requested-With:
 * tankworld`, which a form or a simple cross-site request cannot send). The viewer's WebSocket
 * gets a short-lived token from `GET /api/session/ws-token`; `DELETE /api/session` signs out.
 */
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';
import type { Gateway } from '../../src/gateway/index.ts';
import { useCleanup } from '../support/index.ts';
import { type GatewayStack, SECRET, startGatewayStack } from './fixture.ts';

const cleanup = useCleanup();
let stack: GatewayStack;
/** A gateway that cannot mint tokens (user tokens from an identity provider). */
let noMinter: Gateway;
const FROM_PAGE = { 'x-requested-with': 'tankworld' };

beforeAll(async () => {
  stack = await startGatewayStack({
    cleanup,
    gateway: { tokenMinter: { mint: (options) => mintToken({ secret: SECRET, ...options }) } },
  });
  noMinter = await stack.addGateway('gateway-no-minter');
}, 120_000);

/** The `name=value` of a Set-Cookie, and its attributes by lower-case name. */
function parseCookie(header: string | null): { pair: string; attributes: Record<string, string> } {
  expect(header).toBeTruthy();
  const [pair, ...rest] = header!.split(';').map((part) => part.trim());
  const attributes = Object.fromEntries(
    rest.map((part) => {
      const [name, value = ''] = part.split('=');
      return [name!.toLowerCase(), value];
    }),
  );
  return { pair: pair!, attributes };
}

async function signIn(user: string, via?: Gateway): Promise<{ token: string; cookie: string }> {
  const token = await mintToken({ secret: SECRET, userId: user, ttlSeconds: 3600 });
  const res = await stack.call('/api/session', { method: 'POST', body: { token }, headers: FROM_PAGE, via });
  expect(res.status).toBe(200);
  return { token, cookie: parseCookie(res.headers.get('set-cookie')).pair };
}

describe('POST /api/session', () => {
  it('should verify the token and answer with an HttpOnly, SameSite=Strict cookie for /', async () => {
    const token = await mintToken({ secret: SECRET, userId: 'alice', ttlSeconds: 3600 });
    const res = await stack.call('/api/session', { method: 'POST', body: { token }, headers: FROM_PAGE });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user_id: string; expires_at: string };
    expect(body.user_id).toBe('alice');
    expect(new Date(body.expires_at).getTime()).toBe(decodeJwt(token).exp! * 1000);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { pair, attributes } = parseCookie(res.headers.get('set-cookie'));
    expect(pair).toBe(`tankworld_session=${token}`);
    expect(attributes).toEqual({
      'max-age': expect.stringMatching(/^35\d\d$/),
      path: '/',
      httponly: '',
      samesite: 'Strict',
    });
  });

  it('should mark the cookie Secure when the page came over https', async () => {
    const token = await mintToken({ secret: SECRET, userId: 'alice' });
    const res = await stack.gateway.fetch(
      new Request('https://tanks.example/api/session', {
        method: 'POST',
        headers: { ...FROM_PAGE, 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      }),
    );
    expect(res.status).toBe(200);
    expect(parseCookie(res.headers.get('set-cookie')).attributes).toHaveProperty('secure');
  });

  it('should refuse a forged token, or a post without the page header, and set no cookie', async () => {
    const good = await mintToken({ secret: SECRET, userId: 'alice' });
    const forged = await stack.call('/api/session', {
      method: 'POST',
      body: { token: `${good.slice(0, -4)}AAAA` },
      headers: FROM_PAGE,
    });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('set-cookie')).toBeNull();
    const crossSite = await stack.call('/api/session', { method: 'POST', body: { token: good } });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { code: string }).code).toBe('csrf_refused');
    expect(crossSite.headers.get('set-cookie')).toBeNull();
  });
});

describe('the session cookie', () => {
  it('should stand in for the bearer token on reads, and on writes from the page', async () => {
    const { cookie } = await signIn('carol');
    const listed = await stack.call('/api/tanks', { headers: { cookie } });
    expect(listed.status).toBe(200);
    expect(await stack.json('/api/session', 200, { headers: { cookie } })).toMatchObject({
      user_id: 'carol',
    });

    const blind = await stack.call('/api/tanks', {
      method: 'POST',
      body: { name: 'csrf' },
      headers: { cookie },
    });
    expect(blind.status).toBe(403);
    expect(((await blind.json()) as { code: string }).code).toBe('csrf_refused');
    const { tank } = await stack.json<{ tank: { tank_id: string; owner: string } }>('/api/tanks', 201, {
      method: 'POST',
      body: { name: 'From the page' },
      headers: { cookie, ...FROM_PAGE },
    });
    expect(tank.owner).toBe('carol');
    // Calls the gateway hands to the tank's server carry the cookie's token as a bearer header.
    const stats = await stack.call(`/api/tanks/${tank.tank_id}/stats`, { headers: { cookie } });
    expect(stats.status).toBe(200);
    const paused = await stack.call(`/api/tanks/${tank.tank_id}/pause`, {
      method: 'POST',
      headers: { cookie, ...FROM_PAGE },
    });
    expect(paused.status).toBe(200);
  });

  it('should be refused when the browser says the request came from another site or origin', async () => {
    const { cookie } = await signIn('carol');
    for (const site of ['cross-site', 'same-site']) {
      const res = await stack.call('/api/tanks', { headers: { cookie, 'sec-fetch-site': site } });
      expect(res.status, site).toBe(403);
    }
    expect(
      (await stack.call('/api/tanks', { headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status,
    ).toBe(200);
  });

  it('should give way to an Authorization header, even a bad one', async () => {
    const { cookie } = await signIn('carol');
    const res = await stack.call('/api/tanks', { headers: { cookie }, rawToken: 'not-a-token' });
    expect(res.status).toBe(401);
  });

  it('should end with DELETE /api/session, which clears the cookie', async () => {
    const { cookie } = await signIn('carol');
    const res = await stack.call('/api/session', { method: 'DELETE', headers: { cookie, ...FROM_PAGE } });
    expect(res.status).toBe(204);
    const { pair, attributes } = parseCookie(res.headers.get('set-cookie'));
    expect(pair).toBe('tankworld_session=');
    expect(attributes['max-age']).toBe('0');
    expect((await stack.call('/api/session')).status).toBe(401);
  });
});

describe('GET /api/session/ws-token', () => {
  it('should mint a token of a minute for the same user when the gateway can mint', async () => {
    const { cookie } = await signIn('carol');
    const { token, expires_at } = await stack.json<{ token: string; expires_at: string }>(
      '/api/session/ws-token',
      200,
      { headers: { cookie } },
    );
    expect(await createTokenVerifier({ secret: SECRET }).verify(token)).toEqual({ userId: 'carol' });
    const { iat, exp } = decodeJwt(token);
    expect(exp! - iat!).toBeLessThanOrEqual(60);
    expect(new Date(expires_at).getTime()).toBe(exp! * 1000);
  });

  it("should hand back the session's own token when the gateway cannot mint", async () => {
    const { cookie, token } = await signIn('carol', noMinter);
    const answer = await stack.json<{ token: string }>('/api/session/ws-token', 200, {
      headers: { cookie },
      via: noMinter,
    });
    expect(answer.token).toBe(token);
  });
});
