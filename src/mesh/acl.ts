/**
 * @module
 * Consul ACLs for the native mesh: the agent runs default-deny with an operator
 * (`initial_management`) token made per run; with it the mesh gives the agent a node token and
 * each app a token of its own that may only register, heartbeat and read what discovery needs
 * (a service identity). Config entries and intentions stay writable by the operator alone.
 */
import { MeshError, MeshErrorCode } from './errors.ts';

/**
 * The agent's `acl` block: default deny, tokens set over the API kept across restarts, and the
 * operator token as the initial management token.
 *
 * @example
 * ```ts
 * const hcl = aclAgentConfig(randomUUID()); // passed as `consul agent -hcl <hcl>`
 * ```
 */
export function aclAgentConfig(managementToken: string): string {
  if (!/^[0-9a-f-]{36}$/.test(managementToken))
    throw new MeshError(MeshErrorCode.invalidOption, 'the management token must be a UUID');
  return [
    'acl {',
    '  enabled = true',
    '  default_policy = "deny"',
    '  enable_token_persistence = true',
    `  tokens { initial_management = "${managementToken}" }`,
    '}',
  ].join('\n');
}

export interface AclCallOptions {
  /** The agent's HTTP base URL, e.g. `http://127.0.0.1:8500`. */
  consulUrl: string;
  /** A token allowed to write ACLs: the operator's. */
  operatorToken: string;
  timeoutMs?: number;
}

async function aclCall(
  { consulUrl, operatorToken, timeoutMs = 10_000 }: AclCallOptions,
  method: 'PUT' | 'GET',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${consulUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-consul-token': operatorToken },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok)
    throw new MeshError(MeshErrorCode.startFailed, `consul ${method} ${path}: ${res.status} ${text.trim()}`);
  return text ? JSON.parse(text) : undefined;
}

export interface ServiceTokenOptions extends AclCallOptions {
  /** The Consul service name the token may register (its sidecar included), e.g. `tank-server`. */
  serviceName: string;
  description?: string;
}

/**
 * Creates a token with only a service identity: write on `serviceName` and its sidecar proxy
 * (register, TTL updates, the sidecar's xDS and certificate), read on services and nodes (health
 * queries, upstream discovery), nothing on config entries, intentions or ACLs. Returns its secret.
 *
 * @example
 * ```ts
 * const token = await createServiceToken({ consulUrl, operatorToken, serviceName: 'tank-server' });
 * ```
 */
export async function createServiceToken({
  serviceName,
  description = `tankworld ${serviceName}`,
  ...call
}: ServiceTokenOptions): Promise<string> {
  const token = (await aclCall(call, 'PUT', '/v1/acl/token', {
    Description: description,
    ServiceIdentities: [{ ServiceName: serviceName }],
  })) as { SecretID: string };
  return token.SecretID;
}

/**
 * Gives the agent its own token (a node identity for `nodeName`), so it can keep its node entry
 * and coordinates in the catalog; `enable_token_persistence` keeps it across agent restarts.
 */
export async function setAgentToken({
  nodeName,
  datacenter = 'dc1',
  ...call
}: AclCallOptions & { nodeName: string; datacenter?: string }): Promise<void> {
  const token = (await aclCall(call, 'PUT', '/v1/acl/token', {
    Description: `tankworld agent ${nodeName}`,
    NodeIdentities: [{ NodeName: nodeName, Datacenter: datacenter }],
  })) as { SecretID: string };
  await aclCall(call, 'PUT', '/v1/agent/token/agent', { Token: token.SecretID });
}
