//go:build tools

// Package tools pins go-licenses, which reads the licence of every Go module linked into the
// binaries the project builds (scripts/check-licenses.sh).
package tools

import _ "github.com/google/go-licenses"
