#!/usr/bin/env bash
# Starts the Envoy sidecar of one registered service, the way the tests and `npm run mesh` do:
#   SIDECAR_FOR=server-1 CONSUL_HTTP_ADDR=consul:8500 CONSUL_GRPC_ADDR=consul:8502 sidecar-entrypoint
# It runs in the app's network namespace (compose `network_mode: service:<app>`, or a second
# container of the same pod), waits until the app has registered itself with its
# `connect { sidecar_service {} }` block, then execs Envoy through `consul connect envoy`.
# Any extra arguments go to Envoy (after `--`).
set -euo pipefail
: "${SIDECAR_FOR:?set SIDECAR_FOR to the service ID the app registers (its server id)}"
: "${CONSUL_HTTP_ADDR:=127.0.0.1:8500}"
: "${CONSUL_GRPC_ADDR:=127.0.0.1:8502}"
: "${ENVOY_ADMIN_BIND:=127.0.0.1:19000}"
: "${REGISTRATION_TIMEOUT:=120}"
export CONSUL_HTTP_ADDR CONSUL_GRPC_ADDR

case "$CONSUL_HTTP_ADDR" in
  http://* | https://*) agent=$CONSUL_HTTP_ADDR ;;
  *) agent="http://$CONSUL_HTTP_ADDR" ;;
esac

# With ACLs the app's token (CONSUL_HTTP_TOKEN, or the file CONSUL_HTTP_TOKEN_FILE names, as a
# compose or Kubernetes secret) reads the registration here; `consul connect envoy` reads the same
# variables itself and puts the token in Envoy's bootstrap. curl takes it from a header file, so
# the token is in no command line.
header=$(mktemp)
trap 'rm -f "$header"' EXIT
# The file wins when both are set, as it does for the consul CLI.
if [ -n "${CONSUL_HTTP_TOKEN_FILE:-}" ]; then
  printf 'X-Consul-Token: %s\n' "$(tr -d '\n' <"$CONSUL_HTTP_TOKEN_FILE")" >"$header"
elif [ -n "${CONSUL_HTTP_TOKEN:-}" ]; then
  printf 'X-Consul-Token: %s\n' "$CONSUL_HTTP_TOKEN" >"$header"
fi

# `-sidecar-for` reads the sidecar registration from the agent: without it Envoy cannot start.
waited=0
until curl -fs -o /dev/null -H "@$header" "$agent/v1/agent/service/${SIDECAR_FOR}-sidecar-proxy"; do
  if [ "$waited" -ge "$REGISTRATION_TIMEOUT" ]; then
    echo "sidecar: ${SIDECAR_FOR}-sidecar-proxy is not registered at $agent after ${waited}s" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done

rm -f "$header"
echo "sidecar: starting Envoy for $SIDECAR_FOR ($(envoy --version | tail -1))" >&2
exec consul connect envoy \
  -sidecar-for "$SIDECAR_FOR" \
  -admin-bind "$ENVOY_ADMIN_BIND" \
  -- "$@"
