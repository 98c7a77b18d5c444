#!/usr/bin/env bash
# Installs the static checkers the deploy-files test runs when present: shellcheck and
# docker-compose (Debian), and kubernetes-validate (PyPI, with the Kubernetes JSON schemas it
# ships) in a virtualenv in the per-user cache. Prints the folder holding kubernetes-validate.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ! command -v shellcheck >/dev/null || ! command -v docker-compose >/dev/null; then
  say "installing shellcheck and docker-compose (apt-get)"
  as_root apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q shellcheck docker-compose >&2
fi
venv="$TANKWORLD_CACHE/checkers-venv"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  say "installing kubernetes-validate into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet kubernetes-validate==1.37.0 >&2
fi
echo "$venv/bin"
