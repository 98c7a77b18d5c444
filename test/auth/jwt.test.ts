import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, mintToken } from '../../src/auth/index.ts';

const secret = 'a-development-secret-of-some-length';
const NOW = Date.parse('2026-11-25T06:00:00.000Z');

describe('token verifier (HS256)', () => {
  const verifier = createTokenVerifier({ secret, clock: () => NOW });

  it('should return the user of a minted token', async () => {
    const token = await mintToken({ secret, userId: 'alice', now: NOW });
    expect(await verifier.verify(token)).toEqual({ userId: 'alice' });
  });

  it('should return the scopes of a token that has them', async () => {
    const token = await mintToken({ secret, userId: 'bob', scopes: ['tanks:read', 'tanks:write'], now: NOW });
    expect(await verifier.verify(token)).toEqual({ userId: 'bob', scopes: ['tanks:read', 'tanks:write'] });
  });

  it('should refuse a missing or empty token with missing_token', async () => {
    await expect(verifier.verify(undefined)).rejects.toMatchObject({ code: 'missing_token', status: 401 });
    await expect(verifier.verify('')).rejects.toMatchObject({ code: 'missing_token', status: 401 });
  });

  it('should refuse a token signed with another secret with invalid_token', async () => {
    const token = await mintToken({ secret: 'another-secret-entirely-here', userId: 'alice', now: NOW });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'invalid_token', status: 401 });
  });

  it('should refuse a token whose payload was edited', async () => {
    const [header, , signature] = (await mintToken({ secret, userId: 'alice', now: NOW })).split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'mallory', iss: 'tankworld', aud: 'tankworld', exp: NOW / 1000 + 60 }),
    ).toString('base64url');
    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('should refuse an expired token with expired_token', async () => {
    const token = await mintToken({ secret, userId: 'alice', ttlSeconds: 60, now: NOW - 120_000 });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'expired_token', status: 401 });
  });

  it('should accept a token just past expiry within the clock tolerance', async () => {
    const token = await mintToken({ secret, userId: 'alice', ttlSeconds: 60, now: NOW - 62_000 });
    expect(await verifier.verify(token)).toEqual({ userId: 'alice' });
  });

  it('should refuse a token for another audience or issuer', async () => {
    const otherAudience = await mintToken({ secret, userId: 'alice', audience: 'elsewhere', now: NOW });
    const otherIssuer = await mintToken({ secret, userId: 'alice', issuer: 'elsewhere', now: NOW });
    await expect(verifier.verify(otherAudience)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifier.verify(otherIssuer)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('should refuse a token without exp or without sub', async () => {
    const key = new TextEncoder().encode(secret);
    const base = () =>
      new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('tankworld').setAudience('tankworld');
    const noExp = await base().setSubject('alice').sign(key);
    const noSub = await base()
      .setExpirationTime(NOW / 1000 + 60)
      .sign(key);
    await expect(verifier.verify(noExp)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifier.verify(noSub)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('should refuse a token whose sub holds a NUL or another control character with invalid_token', async () => {
    for (const userId of ['ev\u0000il', 'line\nbreak', 'del\u007f']) {
      const token = await mintToken({ secret, userId, now: NOW });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'invalid_token', status: 401 });
    }
  });

  it('should refuse an unsigned (alg none) token and garbage', async () => {
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: 'alice', iss: 'tankworld', aud: 'tankworld', exp: NOW / 1000 + 60 }),
    ).toString('base64url');
    await expect(verifier.verify(`${header}.${payload}.`)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifier.verify('not-a-jwt')).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('should refuse bad options when created', () => {
    expect(() => createTokenVerifier({})).toThrow(TypeError);
    expect(() => createTokenVerifier({ secret, jwksUrl: 'http://127.0.0.1/jwks' })).toThrow(TypeError);
    expect(() => createTokenVerifier({ secret: 'short' })).toThrow(TypeError);
  });
});

describe('token verifier (JWKS)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  function sign(alg = 'ES256') {
    return new SignJWT({ scope: 'tanks:read' })
      .setProtectedHeader({ alg, kid: 'k1' })
      .setSubject('carol')
      .setIssuer('tankworld')
      .setAudience('tankworld')
      .setExpirationTime('5m');
  }

  it('should verify a token signed by a key of the set', async () => {
    const verifier = createTokenVerifier({ jwksUrl });
    expect(await verifier.verify(await sign().sign(privateKey))).toEqual({
      userId: 'carol',
      scopes: ['tanks:read'],
    });
  });

  it('should refuse an HS256 token even if its key is the public key', async () => {
    const verifier = createTokenVerifier({ jwksUrl });
    const token = await sign('HS256').sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'invalid_token' });
  });
});
