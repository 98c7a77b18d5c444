//go:build tools

// Package tools pins the Consul agent that the project builds for tests and `npm run mesh`.
package tools

import _ "github.com/hashicorp/consul"
