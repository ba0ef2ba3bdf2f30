//go:build ceph

package rados

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ceph/go-ceph/rados"
)

// testOptions returns Options for the cluster named by RUSTFS_CEPH_CONF
// (scripts/ceph-up.sh prints the exports), skipping the test when it is
// unset. RUSTFS_CEPH_KEYRING and RUSTFS_CEPH_USER are optional. Each call
// gets a fresh RADOS namespace, removed with everything in it when the test
// ends, so runs neither see nor leave each other's objects.
func testOptions(t testing.TB) Options {
	t.Helper()
	conf := os.Getenv("RUSTFS_CEPH_CONF")
	if conf == "" {
		t.Skip("RUSTFS_CEPH_CONF is not set; start a cluster with scripts/ceph-up.sh")
	}
	o := Options{
		ConfPath:  conf,
		Keyring:   os.Getenv("RUSTFS_CEPH_KEYRING"),
		User:      os.Getenv("RUSTFS_CEPH_USER"),
		Namespace: uniq("test"),
	}
	t.Cleanup(func() { purge(t, o) })
	return o
}

// purge deletes every object of namespace o.Namespace in the backend's pools.
func purge(t testing.TB, o Options) {
	b, err := Open(o)
	if err != nil {
		t.Errorf("purge %s: %v", o.Namespace, err)
		return
	}
	defer b.Close()
	for _, io := range append([]*rados.IOContext{b.meta.io}, b.pools...) {
		var oids []string
		if err := io.ListObjects(func(oid string) { oids = append(oids, oid) }); err != nil {
			t.Errorf("purge %s: list: %v", o.Namespace, err)
			return
		}
		for _, oid := range oids {
			if err := io.Delete(oid); err != nil && !isErrno(err, enoent) {
				t.Errorf("purge %s: delete %s: %v", o.Namespace, oid, err)
			}
		}
	}
}

// openTest opens a backend with o and closes it when the test ends.
func openTest(t testing.TB, o Options) *Backend {
	t.Helper()
	b, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// clusterDir is the ceph-up.sh directory holding the conf (and pids/).
func clusterDir(t testing.TB) string {
	return filepath.Dir(os.Getenv("RUSTFS_CEPH_CONF"))
}
