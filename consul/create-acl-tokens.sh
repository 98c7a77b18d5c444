#!/usr/bin/env bash
# Creates the mesh's Consul ACL tokens, each with the secret already in its file, using the
# operator (management) token; a token that exists is kept, so the job can run on every
# `compose up`. Runs as part of the compose `consul-config` job and by hand against any agent:
#
#   CONSUL_HTTP_ADDR=consul:8500 CONSUL_HTTP_TOKEN_FILE=/run/secrets/consul_operator_token \
#     consul/create-acl-tokens.sh service:tank-server=/run/secrets/consul_server_token \
#       service:tank-gateway=/run/secrets/consul_gateway_token node:consul=/run/secrets/consul_agent_token
#
# `service:<name>` gives the token only that service identity: it registers <name> and its
# sidecar proxy, updates their checks and reads the catalog; it may not write intentions,
# shared config entries or ACLs. `node:<name>` is an agent's token (a node identity).
# Secrets never reach a command line: curl reads its headers and bodies from files.
set -euo pipefail
: "${CONSUL_HTTP_ADDR:=127.0.0.1:8500}"
case "$CONSUL_HTTP_ADDR" in
  http://* | https://*) agent=$CONSUL_HTTP_ADDR ;;
  *) agent="http://$CONSUL_HTTP_ADDR" ;;
esac
datacenter=${CONSUL_DATACENTER:-dc1}
die() { echo "create-acl-tokens: $*" >&2; exit 1; }

# The file wins when both are set, as it does for the consul CLI (apply-config-entries.sh).
operator=${CONSUL_HTTP_TOKEN:-}
if [ -n "${CONSUL_HTTP_TOKEN_FILE:-}" ]; then
  operator=$(tr -d '\n' <"$CONSUL_HTTP_TOKEN_FILE")
fi
[ -n "$operator" ] || die "set CONSUL_HTTP_TOKEN_FILE (or CONSUL_HTTP_TOKEN) to the operator token"
[ $# -gt 0 ] || die "usage: $0 service:<name>=<secret file> | node:<name>=<secret file> …"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# api TOKEN METHOD PATH [BODY]: one call to the agent as TOKEN; the answer on stdout.
api() {
  printf 'X-Consul-Token: %s\n' "$1" >"$tmp/header"
  printf '%s' "${4:-}" >"$tmp/body"
  curl -fsS -H "@$tmp/header" -X "$2" --data-binary "@$tmp/body" "$agent$3"
}

# The leader makes the operator token a moment after it is elected.
for _ in $(seq 1 60); do
  api "$operator" GET /v1/acl/token/self >/dev/null 2>&1 && break
  sleep 1
done
api "$operator" GET /v1/acl/token/self >/dev/null || die "the operator token is not accepted at $agent"

for spec in "$@"; do
  kind=${spec%%:*}
  rest=${spec#*:}
  name=${rest%%=*}
  file=${rest#*=}
  if [ "$kind" = "$spec" ] || [ "$name" = "$rest" ]; then die "not kind:name=file: $spec"; fi
  secret=$(tr -d '\n' <"$file")
  [[ $secret =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || die "$file: not a UUID"
  case "$kind" in
    service) identity="\"ServiceIdentities\": [{\"ServiceName\": \"$name\"}]" ;;
    node) identity="\"NodeIdentities\": [{\"NodeName\": \"$name\", \"Datacenter\": \"$datacenter\"}]" ;;
    *) die "unknown kind $kind in $spec (service or node)" ;;
  esac
  # A token may always read itself: that tells whether it exists.
  if api "$secret" GET /v1/acl/token/self >/dev/null 2>&1; then
    echo "create-acl-tokens: $kind $name: kept" >&2
    continue
  fi
  api "$operator" PUT /v1/acl/token \
    "{\"SecretID\": \"$secret\", \"Description\": \"tankworld $kind $name\", $identity}" >/dev/null
  echo "create-acl-tokens: $kind $name: created" >&2
done
