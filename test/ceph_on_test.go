//go:build ceph

package test

import (
	"fmt"
	"os"

	"github.com/tasmaniancloud/rustfs/rados"
	"github.com/tasmaniancloud/rustfs/storage"
)

// cephBuild reports whether the rados backend is compiled in.
const cephBuild = true

// radosOptions builds the rados backend configuration from the
// environment scripts/ceph-up.sh prints: RUSTFS_CEPH_CONF,
// RUSTFS_CEPH_KEYRING and (optionally) RUSTFS_CEPH_USER.
func radosOptions() (rados.Options, error) {
	o := rados.Options{
		ConfPath: os.Getenv("RUSTFS_CEPH_CONF"),
		Keyring:  os.Getenv("RUSTFS_CEPH_KEYRING"),
		User:     os.Getenv("RUSTFS_CEPH_USER"),
	}
	if o.ConfPath == "" || o.Keyring == "" {
		return o, fmt.Errorf("RUSTFS_TEST_BACKEND=rados needs RUSTFS_CEPH_CONF and RUSTFS_CEPH_KEYRING (eval \"$(scripts/ceph-up.sh)\")")
	}
	return o, nil
}

// openRados connects to the cluster of radosOptions, in RADOS namespace
// ns.
func openRados(ns string) (storage.Backend, error) {
	o, err := radosOptions()
	if err != nil {
		return nil, err
	}
	o.Namespace = ns
	return rados.Open(o)
}
