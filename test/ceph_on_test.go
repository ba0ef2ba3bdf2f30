//go:build ceph

package test

import (
	"cmp"
	"fmt"
	"os"

	cephrados "github.com/ceph/go-ceph/rados"

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

// radosDump returns every stored byte of RADOS namespace ns in the
// backend's default pools, one blob per object: its pool and name, its
// data, its xattrs and its omap keys and values, for the at-rest scan.
func radosDump(ns string) (map[string][]byte, error) {
	o, err := radosOptions()
	if err != nil {
		return nil, err
	}
	conn, err := cephrados.NewConnWithUser(cmp.Or(o.User, rados.DefaultUser))
	if err != nil {
		return nil, err
	}
	defer conn.Shutdown()
	if err := conn.ReadConfigFile(o.ConfPath); err != nil {
		return nil, err
	}
	if err := conn.SetConfigOption("keyring", o.Keyring); err != nil {
		return nil, err
	}
	if err := conn.Connect(); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	pools := []string{rados.DefaultMetaPool}
	for _, p := range rados.DefaultDataPools() {
		pools = append(pools, p.Pool)
	}
	for _, pool := range pools {
		io, err := conn.OpenIOContext(pool)
		if err != nil {
			return nil, fmt.Errorf("open pool %s: %w", pool, err)
		}
		io.SetNamespace(ns)
		var oids []string
		err = io.ListObjects(func(oid string) { oids = append(oids, oid) })
		for _, oid := range oids {
			if err != nil {
				break
			}
			var blob []byte
			blob = append(blob, pool+"/"+oid+"\n"...)
			var st cephrados.ObjectStat
			if st, err = io.Stat(oid); err != nil {
				break
			}
			data := make([]byte, st.Size)
			if _, err = io.Read(oid, data, 0); err != nil {
				break
			}
			blob = append(blob, data...)
			var xs map[string][]byte
			if xs, err = io.ListXattrs(oid); err != nil {
				break
			}
			for k, v := range xs {
				blob = append(append(append(blob, k...), 0), v...)
			}
			var om map[string][]byte
			if om, err = io.GetAllOmapValues(oid, "", "", 1000); err != nil {
				break
			}
			for k, v := range om {
				blob = append(append(append(blob, k...), 0), v...)
			}
			out[pool+"/"+oid] = blob
		}
		io.Destroy()
		if err != nil {
			return nil, fmt.Errorf("dump %s in namespace %s: %w", pool, ns, err)
		}
	}
	return out, nil
}
