#!/usr/bin/env bash
# The one entry point behind the npm scripts: makes sure the pinned Node (26 LTS) and the
# project's packages are there, installs what a command needs (PostgreSQL, Redis, Consul,
# Envoy, Chromium) when it is missing, with progress, then runs the command under Node 26.
#
#   run.sh start            tankworld dev: gateway + 2 tank servers, embedded store
#   run.sh test [args]      every vitest suite (real Postgres, Redis, Consul, Envoy, Chromium)
#   run.sh bench NAME       bench/NAME.ts, figures appended to BENCHMARKS.md
#   run.sh mesh [args]      tankworld mesh up: the native mesh without Docker
#   run.sh cli CMD ...      tankworld CMD (bin/tankworld)
#   run.sh licenses         the licence check of every npm package, Go module and wheel
#   run.sh audit            npm audit of the production dependencies (high and critical fail)
#   run.sh tsc|biome ...    a tool from node_modules/.bin under Node 26
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/lib.sh"
cd "$root"

node_bin=$(bash "$here/install-node.sh")
export PATH="$node_bin:$root/node_modules/.bin:$PATH"

# npm picks package versions for the Node that runs it, so run the machine's npm under Node 26.
npm_cli() {
  local cli
  cli="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
  [ -f "$cli" ] || cli="$(dirname "$(readlink -f "$(command -v npm)")")/../lib/node_modules/npm/bin/npm-cli.js"
  node "$cli" "$@"
}
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing packages (npm ci under Node $(node --version))"
  npm_cli ci --no-audit --no-fund --loglevel=error
fi

# need_apt PKG CMD: install the Debian package PKG when CMD is not found.
need_apt() {
  if ! command -v "$2" >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/"$2" >/dev/null 2>&1; then
    say "installing $1 (apt-get)"
    [ -n "${TANKWORLD_APT_UPDATED:-}" ] || { as_root apt-get update -q >&2; export TANKWORLD_APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "$1" >&2
  fi
}

need_services() {
  [ -n "${DATABASE_URL:-}" ] || need_apt postgresql initdb
  [ -n "${REDIS_URL:-}" ] || need_apt redis-server redis-server
  [ -n "${CONSUL_HTTP_ADDR:-}" ] && export TANKWORLD_CONSUL_BIN="${TANKWORLD_CONSUL_BIN:-$(command -v consul || true)}"
  export TANKWORLD_CONSUL_BIN="${TANKWORLD_CONSUL_BIN:-$(bash "$here/install-consul.sh")}"
  export TANKWORLD_ENVOY_BIN="${TANKWORLD_ENVOY_BIN:-$(bash "$here/install-envoy.sh")}"
}

# The embedded store of a first `npm start` is unpacked from a template instead of running initdb.
pglite_template() {
  local version
  version=$(node -p "JSON.parse(require('fs').readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')).version")
  export TANKWORLD_PGLITE_TEMPLATE="${TANKWORLD_PGLITE_TEMPLATE:-$TANKWORLD_CACHE/pglite-$version.tgz}"
  if [ ! -f "$TANKWORLD_PGLITE_TEMPLATE" ]; then
    say "preparing the embedded store template (PGlite $version, once)"
    mkdir -p "$(dirname "$TANKWORLD_PGLITE_TEMPLATE")"
    node scripts/pglite-template.ts "$TANKWORLD_PGLITE_TEMPLATE"
  fi
}

# The web app the gateway serves at /: built when missing or older than any of its sources.
web_build() {
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/index.html web/tank.html web/src web/vite.config.ts src/tank/wire src/sim -newer web/dist/index.html -print -quit)" ]; then
    say "building the web app (vite build → web/dist)"
    vite build --config web/vite.config.ts >&2
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  start) pglite_template; web_build; exec node src/cli.ts dev "$@" ;;
  cli) exec node src/cli.ts "$@" ;;
  test)
    need_services
    need_apt chromium chromium
    export TANKWORLD_CHROMIUM="${TANKWORLD_CHROMIUM:-$(command -v chromium)}"
    # promtool tests the alert rules; Prometheus and Zipkin run in the observability mesh test.
    export TANKWORLD_PROMETHEUS_BIN="${TANKWORLD_PROMETHEUS_BIN:-$(bash "$here/install-prometheus.sh")}"
    export TANKWORLD_ZIPKIN_JAR="${TANKWORLD_ZIPKIN_JAR:-$(bash "$here/install-zipkin.sh")}"
    # The backup tests' S3 store; without Go it cannot be built and those tests say so and skip.
    export TANKWORLD_SEAWEEDFS_BIN="${TANKWORLD_SEAWEEDFS_BIN:-$(bash "$here/install-seaweedfs.sh" || true)}"
    web_build
    exec vitest run "$@" ;;
  bench)
    if [ -z "${1:-}" ]; then
      names=(bench/*.ts); names=("${names[@]#bench/}")
      die "usage: npm run bench <name>   (one of: ${names[*]%.ts})"
    fi
    name=$1; shift
    [ -f "bench/$name.ts" ] || die "no benchmark bench/$name.ts"
    need_services
    exec node "bench/$name.ts" "$@" ;;
  mesh)
    need_services
    export TANKWORLD_PROMETHEUS_BIN="${TANKWORLD_PROMETHEUS_BIN:-$(bash "$here/install-prometheus.sh")}"
    export TANKWORLD_ZIPKIN_JAR="${TANKWORLD_ZIPKIN_JAR:-$(bash "$here/install-zipkin.sh")}"
    exec node src/cli.ts mesh up "$@" ;;
  licenses)
    export TANKWORLD_CONSUL_BIN="${TANKWORLD_CONSUL_BIN:-$(bash "$here/install-consul.sh")}"
    export TANKWORLD_ENVOY_BIN="${TANKWORLD_ENVOY_BIN:-$(bash "$here/install-envoy.sh")}"
    exec bash "$here/check-licenses.sh" ;;
  audit)
    # High and critical advisories of the production dependencies fail. A registry that serves
    # packages but not the advisories endpoint (this workplace's answers 405) cannot audit:
    # said plainly, not taken for a pass or a failure.
    if out=$(npm_cli audit --omit=dev --audit-level=high 2>&1); then
      printf '%s\n' "$out" | tail -3
    elif printf '%s' "$out" | grep -q 'audit endpoint returned an error\|ENOAUDIT'; then
      say "npm audit: the registry has no advisories endpoint here; not audited"
    else
      printf '%s\n' "$out"
      die "npm audit: high or critical advisories in the production dependencies"
    fi ;;
  tsc|biome|vitest|drizzle-kit) exec "$cmd" "$@" ;;
  *) die "unknown command '$cmd'" ;;
esac
