# The compose stack's one Consul agent: a single-node server every app registers with over
# HTTP and every Envoy sidecar bootstraps from (gRPC 8502). UI and Connect on. ACLs on, default
# deny: the tokens (the operator's initial_management and the agent's) come from a second
# config file, the compose secret consul_acl.hcl (scripts/compose-secrets.sh makes it); the
# consul-config job creates the agent's and each app's token with the operator token. The
# wildcard deny in config-entries/ keeps intentions default-deny whatever the ACL default.
datacenter       = "dc1"
node_name        = "consul"
data_dir         = "/consul/data"
server           = true
bootstrap_expect = 1
client_addr      = "0.0.0.0"
bind_addr        = "{{ GetInterfaceIP \"eth0\" }}"
log_level        = "INFO"

ui_config {
  enabled = true
}

connect {
  enabled = true
}

acl {
  enabled                  = true
  default_policy           = "deny"
  # Tokens set over the API (`consul acl set-agent-token`) survive a restart.
  enable_token_persistence = true
}

ports {
  http = 8500
  # Plaintext xDS for the sidecars inside the compose network; off by default outside -dev.
  grpc     = 8502
  grpc_tls = -1
}

# The load each tank server reports as its heartbeat output reaches the catalog and the UI at
# once, not every 5 minutes.
check_update_interval = "0s"
