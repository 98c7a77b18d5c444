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
go_build_pinned SeaweedFS "$root/seaweedfs/build" github.com/seaweedfs/seaweedfs/weed "$SEAWEEDFS_BIN"
version=$("$SEAWEEDFS_BIN" version 2>&1)
say "built ${version%%$'\n'*}"
echo "$SEAWEEDFS_BIN"
