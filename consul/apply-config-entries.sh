#!/usr/bin/env bash
# Writes the mesh's config entries (config-entries/*.json, in file-name order: protocol, then
# intentions, then the resolver before the router that names its subsets) with
# `consul config write`. Runs as the compose `consul-config` job and by hand against any agent:
#
#   CONSUL_HTTP_ADDR=127.0.0.1:8500 CONSUL_HTTP_TOKEN_FILE=<operator token file> consul/apply-config-entries.sh [dir]
#
# Regenerate the per-server routing for another set of servers first:
#   tankworld mesh entries --servers server-1,server-2,server-3,server-4 --out consul/config-entries
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")" && pwd)/config-entries}
consul_bin=${CONSUL_BIN:-consul}

# The agent accepts config writes only once it has a leader. With ACLs the writes need the
# operator token (CONSUL_HTTP_TOKEN_FILE); without it the peers read is refused: stop at once.
for _ in $(seq 1 60); do
  if peers=$("$consul_bin" operator raft list-peers 2>&1); then
    leader=$(awk '$4 == "leader" {print $1}' <<<"$peers")
    [ -n "$leader" ] && break
  elif [[ $peers == *"403"* ]]; then
    echo "apply-config-entries: refused by Consul's ACLs; set CONSUL_HTTP_TOKEN_FILE to the operator token: $peers" >&2
    exit 1
  fi
  sleep 1
done
[ -n "${leader:-}" ] || { echo "apply-config-entries: no Consul leader at ${CONSUL_HTTP_ADDR:-127.0.0.1:8500}" >&2; exit 1; }

shopt -s nullglob
files=("$dir"/*.json)
[ ${#files[@]} -gt 0 ] || { echo "apply-config-entries: no *.json in $dir" >&2; exit 1; }
for file in "${files[@]}"; do
  "$consul_bin" config write "$file"
done
echo "apply-config-entries: ${#files[@]} entries written"
