#!/usr/bin/env bash
# Shared helpers for the project's install scripts: one cache folder per user, keyed by version,
# so a fresh clone (CI, a second checkout) finds what an earlier run installed.
# Read by the scripts that source this file.
# shellcheck disable=SC2034
TANKWORLD_CACHE="${TANKWORLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tankworld}"
NODE_VERSION="26.10.0"
CONSUL_VERSION="1.14.11"
ENVOY_VERSION="1.36.4"
ZIPKIN_VERSION="3.5.1"
# SeaweedFS 4.53 (Apache-2.0), by its Go pseudo-version: the S3-compatible store of the backup tests.
SEAWEEDFS_VERSION="0.0.0-20261109003541-7506e5f91cd6"
NODE_HOME="$TANKWORLD_CACHE/node-v$NODE_VERSION"
CONSUL_BIN="$TANKWORLD_CACHE/consul-v$CONSUL_VERSION/consul"
ENVOY_BIN="$TANKWORLD_CACHE/envoy-v$ENVOY_VERSION/envoy"
ZIPKIN_JAR="$TANKWORLD_CACHE/zipkin-v$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
SEAWEEDFS_BIN="$TANKWORLD_CACHE/seaweedfs-v$SEAWEEDFS_VERSION/weed"

say() { printf '[tankworld] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# as_root CMD...: run CMD as root (directly when we are root, else through sudo).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

# go_build_pinned NAME DIR PACKAGE OUT: builds PACKAGE from the Go module in DIR (its go.mod and
# go.sum pin every dependency) into OUT, saying how the module download and the compile go: the
# first build of a large module takes minutes. OUT appears only once the build succeeded.
go_build_pinned() {
  local name=$1 dir=$2 package=$3 out=$4 start pid
  mkdir -p "$(dirname "$out")"
  say "downloading modules"
  (cd "$dir" && GOFLAGS=-mod=mod go mod download -x 2>&1) |
    awk '/^# get/ { n++; if (n % 100 == 0) printf "[tankworld]   %d modules fetched\n", n > "/dev/stderr" }'
  start=$(date +%s)
  (cd "$dir" && GOFLAGS=-mod=mod go build -ldflags "-s -w" -o "$out.tmp" "$package") &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && say "  still compiling $name ($(( $(date +%s) - start ))s)"
  done
  wait "$pid" || die "go build of $name failed"
  mv "$out.tmp" "$out"
}
