#!/usr/bin/env bash
# Installs Debian's `prometheus` package (2.42, Apache-2.0), which brings `promtool`, and prints
# the prometheus binary's path (promtool sits beside it). Debian's build leaves Consul discovery
# out, so the gateway serves Prometheus HTTP service discovery instead (docs/metrics.md). The
# package installs a service unit but nothing is started here: `tankworld mesh up` runs the
# binary with its own config, data folder and port. ~16 s the first time; nothing to do after.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ -n "${TANKWORLD_PROMETHEUS_BIN:-}" ] && [ -x "$TANKWORLD_PROMETHEUS_BIN" ]; then echo "$TANKWORLD_PROMETHEUS_BIN"; exit 0; fi
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then command -v prometheus; exit 0; fi
command -v apt-get >/dev/null || die "Prometheus comes from Debian's package here; install prometheus (2.42+) and promtool"
say "installing Prometheus (Debian package prometheus, with promtool; ~16 s)"
[ -n "${TANKWORLD_APT_UPDATED:-}" ] || as_root apt-get update -q >&2
# The package's postinst would start a service where there is an init system: keep it from doing so.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 as_root apt-get install -y -q --no-install-recommends prometheus >&2
version=$(prometheus --version 2>&1)
say "installed ${version%%$'\n'*}"
command -v prometheus
