//go:build ceph

package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/rados"
	"github.com/tasmaniancloud/rustfs/server"
	"github.com/tasmaniancloud/rustfs/storage"
)

// radosFlags holds the --ceph-* flag values (environment: RUSTFS_CEPH_CONF,
// RUSTFS_CEPH_KEYRING, RUSTFS_CEPH_USER, RUSTFS_CEPH_NAMESPACE,
// RUSTFS_CEPH_META_POOL, RUSTFS_CEPH_DATA_POOLS, ...). The registry hands open only the
// server.Config, so the flags and open share this one instance; register
// resets every field to its default, so each parse starts clean.
type radosFlags struct {
	conf, keyring, user, namespace, metaPool string
	dataPools                                []rados.DataPool
	osdsPerRack, writeSize, asyncWrites      int
	pieceSize                                int
	connectTimeout, opTimeout                time.Duration
}

func init() {
	rf := &radosFlags{}
	backends["rados"] = backendSpec{flags: rf.register, open: rf.open}
}

// register adds the rados flags to fs.
func (rf *radosFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&rf.conf, "ceph-conf", "", "rados backend: ceph.conf path (default: librados' search, $CEPH_CONF)")
	fs.StringVar(&rf.keyring, "ceph-keyring", "", "rados backend: cephx keyring (default: the conf's keyring)")
	fs.StringVar(&rf.user, "ceph-user", rados.DefaultUser, "rados backend: cephx user, without \"client.\"")
	fs.StringVar(&rf.namespace, "ceph-namespace", "", "rados backend: RADOS namespace for all objects (lets deployments share pools)")
	fs.StringVar(&rf.metaPool, "ceph-meta-pool", rados.DefaultMetaPool, "rados backend: replicated pool for metadata (omap)")
	rf.dataPools = rados.DefaultDataPools()
	fs.Var(dataPoolsFlag{&rf.dataPools}, "ceph-data-pools", "rados backend: rack-pinned data pools as rack=pool,...")
	fs.IntVar(&rf.osdsPerRack, "ceph-osds-per-rack", rados.DefaultOSDsPerRack, "rados backend: shard slots per data pool")
	rf.pieceSize = rados.DefaultPieceSize
	fs.Var(sizeFlag{&rf.pieceSize}, "ceph-piece-size", "rados backend: largest RADOS object a shard is cut into (K/M suffixes; at most 64M)")
	rf.writeSize = rados.DefaultWriteSize
	fs.Var(sizeFlag{&rf.writeSize}, "ceph-write-size", "rados backend: bytes per shard write op (K/M suffixes; a divisor of the 32 MiB piece)")
	fs.IntVar(&rf.asyncWrites, "ceph-async-writes", rados.DefaultAsyncWrites, "rados backend: asynchronous writes in flight per shard (0 = synchronous)")
	fs.DurationVar(&rf.connectTimeout, "ceph-connect-timeout", rados.DefaultConnectTimeout, "rados backend: give up connecting after this long")
	fs.DurationVar(&rf.opTimeout, "ceph-op-timeout", rados.DefaultOpTimeout, "rados backend: fail an OSD or monitor operation after this long")
}

// open connects to the cluster with the parsed flag values.
func (rf *radosFlags) open(ctx context.Context, _ server.Config) (storage.Backend, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return rados.Open(rados.Options{
		ConfPath:       rf.conf,
		Keyring:        rf.keyring,
		User:           rf.user,
		Namespace:      rf.namespace,
		MetaPool:       rf.metaPool,
		DataPools:      rf.dataPools,
		OSDsPerRack:    rf.osdsPerRack,
		PieceSize:      int64(rf.pieceSize),
		WriteSize:      rf.writeSize,
		AsyncWrites:    rf.asyncWrites,
		ConnectTimeout: rf.connectTimeout,
		OpTimeout:      rf.opTimeout,
	})
}

// dataPoolsFlag parses --ceph-data-pools with rados.ParseDataPools.
type dataPoolsFlag struct{ v *[]rados.DataPool }

func (d dataPoolsFlag) String() string {
	if d.v == nil {
		return ""
	}
	return rados.FormatDataPools(*d.v)
}

func (d dataPoolsFlag) Set(s string) error {
	pools, err := rados.ParseDataPools(s)
	if err != nil {
		return err
	}
	if len(pools) == 0 {
		return fmt.Errorf("no data pools in %q", s)
	}
	*d.v = pools
	return nil
}
