/**
 * @module
 * `tankworld token`: the token it prints names the user, and `--operator` adds the scope the
 * gateway's `GET /api/audit` asks for.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, OPERATOR_SCOPE } from '../../src/auth/index.ts';
import { runToken } from '../../src/commands/token.ts';

const SECRET = 'token-command-test-0123456789';
const ENV = { DISTRIBUTED_MODE: 'true', JWT_SECRET: SECRET, INTERNAL_SECRET: SECRET };

afterEach(() => {
  vi.restoreAllMocks();
});

/** What `tankworld token <argv>` prints, verified. */
async function minted(argv: string[]) {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  await runToken(argv, ENV);
  vi.restoreAllMocks();
  return createTokenVerifier({ secret: SECRET }).verify(out.trim());
}

describe('tankworld token', () => {
  it('should print a token for the user, with no scope', async () => {
    expect(await minted(['--user', 'alice'])).toEqual({ userId: 'alice' });
  });

  it('should add the operator scope with --operator', async () => {
    expect(await minted(['--user', 'ops', '--operator'])).toEqual({
      userId: 'ops',
      scopes: [OPERATOR_SCOPE],
    });
  });
});
