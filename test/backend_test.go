package test

import (
	"fmt"
	"os"
)

// backendKind names the storage backend the gateways run on.
type backendKind string

// The backends RUSTFS_TEST_BACKEND selects.
const (
	backendLocal backendKind = "local"
	backendRados backendKind = "rados"
)

// selectBackend reads RUSTFS_TEST_BACKEND ("" or "local", or "rados").
// The rados backend exists only in builds with the ceph tag; asking for it
// without the tag is an error rather than a silent run on local.
func selectBackend() (backendKind, error) {
	switch v := os.Getenv("RUSTFS_TEST_BACKEND"); v {
	case "", string(backendLocal):
		return backendLocal, nil
	case string(backendRados):
		if !cephBuild {
			return "", fmt.Errorf("RUSTFS_TEST_BACKEND=rados needs `go test -tags ceph`")
		}
		return backendRados, nil
	default:
		return "", fmt.Errorf("RUSTFS_TEST_BACKEND=%q: want local or rados", v)
	}
}
