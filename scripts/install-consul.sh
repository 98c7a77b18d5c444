#!/usr/bin/env bash
# Builds the pinned Consul agent (with its web UI) from its Go module into the per-user cache.
# v1.14.11 is the newest Consul under MPL-2.0 (v1.17 on is BUSL-1.1, and v1.15 on pulls modules
# that are not open source); README "Consul: why v1.14.11". The module files in consul/build pin
# every dependency, all in the checksum database. ~5 minutes on 2 cores the first time; nothing to
# do when the binary is there. Prints the binary's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

if [ -x "$CONSUL_BIN" ]; then echo "$CONSUL_BIN"; exit 0; fi
command -v go >/dev/null || die "Go is needed to build Consul $CONSUL_VERSION (https://go.dev/dl)"
say "building Consul $CONSUL_VERSION from its Go module (first time: ~5 minutes on 2 cores)"
go_build_pinned Consul "$root/consul/build" github.com/hashicorp/consul "$CONSUL_BIN"
# Read the whole output before printing its first line: `| head -1` under pipefail died of SIGPIPE (141).
version=$("$CONSUL_BIN" version)
say "built ${version%%$'\n'*}"
echo "$CONSUL_BIN"
