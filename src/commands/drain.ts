/**
 * @module
 * `tankworld drain <server-id> [--gateway http://127.0.0.1:8080]`: moves every tank off one
 * server, live, through the gateway's `POST /api/servers/{id}/drain` (operator scope), printing
 * one line per tank as it moves. The token is `TANKWORLD_TOKEN`, else an operator token minted
 * with the process's secret for five minutes (as `tankworld token --operator` would). Exits 1
 * when a tank could not move or the gateway refused.
 */
import { parseArgs } from 'node:util';
import { mintToken, OPERATOR_SCOPE } from '../auth/index.ts';
import { ConfigError, loadCommonConfig } from '../config.ts';
import { loadSecrets, mintingSecret } from './secrets.ts';

const USAGE = 'usage: tankworld drain <server-id> [--gateway http://127.0.0.1:8080]';

interface Line {
  tank_id?: string;
  to?: string;
  epoch?: number;
  frame?: number;
  error?: string;
  done?: boolean;
  moved?: number;
  failed?: number;
}

async function operatorToken(argv: string[], env: NodeJS.ProcessEnv): Promise<string> {
  if (env.TANKWORLD_TOKEN) return env.TANKWORLD_TOKEN;
  const config = loadCommonConfig(argv, env);
  if (config.jwksUrl) throw new ConfigError('JWKS_URL is set: pass an operator token in TANKWORLD_TOKEN');
  return mintToken({
    secret: mintingSecret(await loadSecrets(config)),
    userId: 'tankworld-drain',
    ttlSeconds: 300,
    scopes: [OPERATOR_SCOPE],
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
}

function describe(line: Line): string {
  if (line.done) return `drained: ${line.moved} moved, ${line.failed} failed`;
  if (line.error) return `${line.tank_id}: not moved: ${line.error}`;
  return `${line.tank_id}: moved to ${line.to} (epoch ${line.epoch}, frame ${line.frame})`;
}

export async function runDrain(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { gateway: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const serverId = positionals[0];
  if (!serverId || positionals.length > 1) throw new ConfigError(USAGE);
  const gateway = values.gateway ?? env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const token = await operatorToken([], env);
  const res = await fetch(new URL(`/api/servers/${encodeURIComponent(serverId)}/drain`, gateway), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok || !res.body) {
    process.stderr.write(`tankworld drain: the gateway answered ${res.status}: ${await res.text()}\n`);
    process.exitCode = 1;
    return;
  }
  let buffered = '';
  let last: Line | undefined;
  for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (text.trim() === '') continue;
      last = JSON.parse(text) as Line;
      process.stdout.write(`${describe(last)}\n`);
    }
  }
  if (!last?.done || (last.failed ?? 0) > 0) process.exitCode = 1;
}
