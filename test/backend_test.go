package test

import (
	"crypto/sha256"
	"encoding/hex"
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

// radosNamespace is the RADOS namespace of the gateways over dataDir: one
// per data directory and run. Metadata is sealed under a key from the
// data directory's root key (storage/sealed), so gateways with different
// roots cannot share a namespace, while gateways sharing a data
// directory (and root) share their state, as on the local backend.
func radosNamespace(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "itest-" + fx.runID + "-" + hex.EncodeToString(sum[:6])
}
