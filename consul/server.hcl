# The compose stack's one Consul agent: a single-node server every app registers with over
# HTTP and every Envoy sidecar bootstraps from (gRPC 8502). UI and Connect on; ACLs off, so
# the wildcard deny in config-entries/ is what makes intentions default-deny.
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

ports {
  http = 8500
  # Plaintext xDS for the sidecars inside the compose network; off by default outside -dev.
  grpc     = 8502
  grpc_tls = -1
}

# The load each tank server reports as its heartbeat output reaches the catalog and the UI at
# once, not every 5 minutes.
check_update_interval = "0s"
