#!/usr/bin/env bash
# Builds the pinned SeaweedFS server (`weed`, Apache-2.0) from its Go module into the per-user
# cache: the S3-compatible store the tests of `tankworld backup`/`restore` run (MinIO is AGPL).
# seaweedfs/build pins it and every dependency (go.sum). ~5 minutes on 2 cores the first time
# (~3.3 GB of modules); nothing to do when the binary is there. Prints the binary's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

if [ -x "$SEAWEEDFS_BIN" ]; then echo "$SEAWEEDFS_BIN"; exit 0; fi
command -v go >/dev/null || die "Go is needed to build SeaweedFS (https://go.dev/dl)"
say "building SeaweedFS $SEAWEEDFS_VERSION from its Go module (first time: ~5 minutes on 2 cores)"
mkdir -p "$(dirname "$SEAWEEDFS_BIN")"
cd "$root/seaweedfs/build"
export GOFLAGS=-mod=mod
say "downloading modules"
go mod download -x 2>&1 | awk '/^# get/ { n++; if (n % 100 == 0) printf "[tankworld]   %d modules fetched\n", n > "/dev/stderr" }'
start=$(date +%s)
go build -ldflags "-s -w" -o "$SEAWEEDFS_BIN.tmp" github.com/seaweedfs/seaweedfs/weed &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 15
  kill -0 "$pid" 2>/dev/null && say "  still compiling SeaweedFS ($(( $(date +%s) - start ))s)"
done
wait "$pid" || die "go build failed"
mv "$SEAWEEDFS_BIN.tmp" "$SEAWEEDFS_BIN"
version=$("$SEAWEEDFS_BIN" version 2>&1)
say "built ${version%%$'\n'*}"
echo "$SEAWEEDFS_BIN"
