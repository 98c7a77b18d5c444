//go:build tools

// Package tools pins the SeaweedFS server (an S3-compatible store, Apache-2.0) that the tests
// of `tankworld backup`/`restore` run.
package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
