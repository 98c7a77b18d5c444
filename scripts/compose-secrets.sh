#!/usr/bin/env bash
# Makes the secrets compose.yaml mounts (it has no built-in ones): run once before
#   scripts/compose-secrets.sh [dir]      # default: ./secrets next to compose.yaml
#   docker compose up --build
# Each secret is a file of its own, mounted at /run/secrets/<name> in the containers that need
# it; the apps read them through `<NAME>_FILE` (JWT_SECRET_FILE, DATABASE_URL_FILE, …). A file
# that exists is kept, so a re-run changes nothing and a value put there by hand (from a vault)
# wins. The folder is 0700 and ignored by git; the files are 0644 because compose bind-mounts
# them with their host mode and the containers read them as their own users (node, postgres,
# redis, consul): the folder is what keeps other host users out.
#
# Consul: consul_acl.hcl turns default-deny ACLs on with consul_operator_token as the
# initial_management token and consul_agent_token as the agent's; the consul-config job creates
# consul_agent_token, consul_server_token and consul_gateway_token with the operator token
# (consul/create-acl-tokens.sh). The operator token is the UI login: keep it to yourself.
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/secrets}

umask 077
mkdir -p "$dir"
chmod 700 "$dir"

random_text() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
random_uuid() {
  local hex
  hex=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf '%s-%s-%s-%s-%s' "${hex:0:8}" "${hex:8:4}" "${hex:12:4}" "${hex:16:4}" "${hex:20:12}"
}
# keep NAME VALUE: writes VALUE (and a newline) to NAME unless it is there already.
keep() {
  local file="$dir/$1"
  if [ ! -s "$file" ]; then
    printf '%s\n' "$2" >"$file"
    echo "compose-secrets: made $1" >&2
  fi
  chmod 644 "$file"
}
value() { tr -d '\n' <"$dir/$1"; }

keep jwt_secret "$(random_text)"
keep internal_secret "$(random_text)"
keep postgres_password "$(random_text)"
keep redis_password "$(random_text)"
keep database_url "postgres://tankworld:$(value postgres_password)@postgres:5432/tankworld"
keep redis_url "redis://:$(value redis_password)@redis:6379"
keep redis.conf "requirepass $(value redis_password)"
keep consul_operator_token "$(random_uuid)"
keep consul_agent_token "$(random_uuid)"
keep consul_server_token "$(random_uuid)"
keep consul_gateway_token "$(random_uuid)"
keep consul_acl.hcl "acl {
  tokens {
    initial_management = \"$(value consul_operator_token)\"
    agent              = \"$(value consul_agent_token)\"
  }
}"
echo "compose-secrets: secrets in $dir" >&2
