/**
 * @module
 * `tankworld token --user alice [--ttl 86400] [--operator]`: mints a user JWT with the process's
 * secret (JWT_SECRET, or the embedded default's kept secret), issuer and audience (JWT_ISSUER,
 * JWT_AUDIENCE) and prints it. `--operator` adds the `operator` scope (the gateway's
 * `GET /api/audit` needs it).
 */
import { parseArgs } from 'node:util';
import { mintToken, OPERATOR_SCOPE } from '../auth/index.ts';
import { ConfigError, loadCommonConfig } from '../config.ts';
import { loadSecrets, mintingSecret } from './secrets.ts';

export async function runToken(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, tokens } = parseArgs({
    args: argv,
    options: { user: { type: 'string' }, ttl: { type: 'string' }, operator: { type: 'boolean' } },
    strict: false,
    tokens: true,
  });
  const rest = (tokens ?? [])
    .filter((t) => t.kind === 'option' && !['user', 'ttl', 'operator'].includes(t.name))
    .flatMap((t) => (t.kind === 'option' ? [`--${t.name}`, ...(t.value ? [t.value] : [])] : []));
  const config = loadCommonConfig(rest, env);
  const user = typeof values.user === 'string' ? values.user : undefined;
  if (!user || !/^[\w.@-]{1,100}$/.test(user))
    throw new ConfigError('usage: tankworld token --user <name> [--ttl seconds] [--operator]');
  const ttlSeconds = values.ttl === undefined ? 86_400 : Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new ConfigError('--ttl must be a positive number of seconds');
  // The processes then accept only the identity provider's tokens: an HS256 one would be refused.
  if (config.jwksUrl)
    throw new ConfigError('JWKS_URL is set: user tokens come from that identity provider, not from here');
  const token = await mintToken({
    secret: mintingSecret(await loadSecrets(config)),
    userId: user,
    ttlSeconds,
    scopes: values.operator === true ? [OPERATOR_SCOPE] : undefined,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  process.stdout.write(`${token}\n`);
}
