import { describe, expect, it } from 'vitest';
import { createInternalVerifier, SignatureHeader, signRequest } from '../../src/auth/index.ts';

const secret = 'an-internal-secret-for-tests';
const NOW = Date.parse('2026-11-25T06:00:00.000Z');

function setup(options: { maxNonces?: number } = {}) {
  let now = NOW;
  const verifier = createInternalVerifier({ secret, clock: () => now, ...options });
  return {
    verifier,
    advance(ms: number) {
      now += ms;
    },
  };
}

const request = { method: 'POST', path: '/internal/tanks?restore=1', body: '{"tank_id":"t1"}' };

describe('internal request signing', () => {
  it('should accept a correctly signed request', async () => {
    const { verifier } = setup();
    const headers = signRequest({ secret, ...request, now: NOW });
    await expect(verifier.verify({ ...request, headers })).resolves.toBeUndefined();
  });

  it('should accept the body as bytes when it was signed as text', async () => {
    const { verifier } = setup();
    const headers = signRequest({ secret, ...request, now: NOW });
    await verifier.verify({ ...request, body: new TextEncoder().encode(request.body), headers });
  });

  it('should sign bodyless requests (GET) over the empty body', async () => {
    const { verifier } = setup();
    const headers = signRequest({ secret, method: 'GET', path: '/internal/health', now: NOW });
    await verifier.verify({ method: 'get', path: '/internal/health', body: new Uint8Array(), headers });
  });

  it.each([
    ['body', { body: '{"tank_id":"t2"}' }],
    ['path', { path: '/internal/tanks/t1' }],
    ['query', { path: '/internal/tanks?restore=0' }],
    ['method', { method: 'PUT' }],
  ])('should refuse a request whose %s was changed', async (_, change) => {
    const { verifier } = setup();
    const headers = signRequest({ secret, ...request, now: NOW });
    await expect(verifier.verify({ ...request, ...change, headers })).rejects.toMatchObject({
      code: 'invalid_signature',
      reason: 'mismatch',
      status: 401,
    });
  });

  it('should refuse a request signed with another secret', async () => {
    const { verifier } = setup();
    const headers = signRequest({ secret: 'someone-elses-secret-value', ...request, now: NOW });
    await expect(verifier.verify({ ...request, headers })).rejects.toMatchObject({ reason: 'mismatch' });
  });

  it('should refuse an unsigned request and malformed headers', async () => {
    const { verifier } = setup();
    await expect(verifier.verify({ ...request, headers: {} })).rejects.toMatchObject({ reason: 'missing' });
    const headers = signRequest({ secret, ...request, now: NOW });
    for (const [name, value] of [
      [SignatureHeader.timestamp, 'soon'],
      [SignatureHeader.nonce, 'short'],
      [SignatureHeader.signature, 'zz'],
    ]) {
      await expect(
        verifier.verify({ ...request, headers: { ...headers, [name]: value } }),
      ).rejects.toMatchObject({
        reason: 'malformed',
      });
    }
  });

  it('should refuse a request outside the window on either side, and accept one at its edge', async () => {
    const { verifier } = setup();
    for (const sentAt of [NOW - 30_001, NOW + 30_001]) {
      const headers = signRequest({ secret, ...request, now: sentAt });
      await expect(verifier.verify({ ...request, headers })).rejects.toMatchObject({ reason: 'expired' });
    }
    const headers = signRequest({ secret, ...request, now: NOW - 30_000 });
    await verifier.verify({ ...request, headers });
  });

  it('should refuse a replayed request, also when the nonce is reused with a new signature', async () => {
    const { verifier, advance } = setup();
    const headers = signRequest({ secret, ...request, now: NOW, nonce: 'n0nce-n0nce-n0nce-1' });
    await verifier.verify({ ...request, headers });
    advance(10_000);
    await expect(verifier.verify({ ...request, headers })).rejects.toMatchObject({ reason: 'replayed' });
    const again = signRequest({ secret, ...request, now: NOW + 10_000, nonce: 'n0nce-n0nce-n0nce-1' });
    await expect(verifier.verify({ ...request, headers: again })).rejects.toMatchObject({
      reason: 'replayed',
    });
  });

  it('should forget nonces once they leave the window', async () => {
    const { verifier, advance } = setup();
    for (let i = 0; i < 5; i++) {
      await verifier.verify({ ...request, headers: signRequest({ secret, ...request, now: NOW }) });
    }
    expect(verifier.rememberedNonces).toBe(5);
    advance(30_001);
    await verifier.verify({ ...request, headers: signRequest({ secret, ...request, now: NOW + 30_001 }) });
    expect(verifier.rememberedNonces).toBe(1);
  });

  it('should hold at most maxNonces, and refuse replays of the forgotten ones', async () => {
    const { verifier, advance } = setup({ maxNonces: 3 });
    const sent = [];
    for (let i = 0; i < 10; i++) {
      const headers = signRequest({ secret, ...request, now: NOW + i });
      await verifier.verify({ ...request, headers });
      sent.push(headers);
      advance(1);
      expect(verifier.rememberedNonces).toBeLessThanOrEqual(3);
    }
    for (const headers of sent) {
      await expect(verifier.verify({ ...request, headers })).rejects.toMatchObject({
        code: 'invalid_signature',
      });
    }
    // Fresh requests still pass: the window narrowed, it did not close.
    await verifier.verify({ ...request, headers: signRequest({ secret, ...request, now: NOW + 10 }) });
  });

  it('should refuse bad options when created', () => {
    expect(() => createInternalVerifier({ secret: 'short' })).toThrow(TypeError);
    expect(() => createInternalVerifier({ secret, maxNonces: 0 })).toThrow(TypeError);
    expect(() => signRequest({ secret: 'short', method: 'GET', path: '/' })).toThrow(TypeError);
  });
});
