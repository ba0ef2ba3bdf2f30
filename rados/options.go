//go:build ceph

package rados

import (
	"fmt"
	"strings"
	"time"
)

// Defaults of Options; they match scripts/ceph-up.sh.
const (
	DefaultUser           = "admin"
	DefaultMetaPool       = "rustfs.meta"
	DefaultOSDsPerRack    = 2
	DefaultPieceSize      = 32 << 20
	DefaultWriteSize      = 2 << 20
	DefaultAsyncWrites    = 0
	DefaultMetaShards     = 16
	DefaultConnectTimeout = 15 * time.Second
	DefaultOpTimeout      = 30 * time.Second
)

// Limits on the sizes of RADOS objects and operations. Ceph refuses objects
// over 128 MiB (osd_max_object_size) and single writes over 90 MiB
// (osd_max_write_size); staying at 64 MiB leaves room for either default to
// be lowered.
const (
	maxPieceSize = 64 << 20
	minWriteSize = 64 << 10
)

// Options configures Open. The zero value of every field means its default.
type Options struct {
	// ConfPath is the ceph.conf to read; "" uses librados' default search
	// ($CEPH_CONF, /etc/ceph/ceph.conf, ...).
	ConfPath string
	// Keyring is the cephx keyring file; "" uses the conf's keyring setting.
	Keyring string
	// User is the cephx user without the "client." prefix (default "admin").
	User string
	// Namespace is the RADOS namespace every object of this backend lives
	// in ("" = the pools' default namespace). Deployments (or test runs)
	// with different namespaces share pools without seeing each other.
	Namespace string
	// MetaPool is the replicated pool holding the metadata omap objects.
	MetaPool string
	// DataPools lists one pool per rack (default DefaultDataPools()).
	DataPools []DataPool
	// OSDsPerRack is the number of shard slots on each data pool (default 2).
	OSDsPerRack int
	// PieceSize is the largest RADOS object a shard is cut into (default
	// 32 MiB, at most 64 MiB). It is recorded in each shard's commit record,
	// so changing it affects new shards only.
	PieceSize int64
	// WriteSize is the buffer a shard writer fills before it sends one
	// write op (default 2 MiB); it must divide PieceSize. A shard writer
	// holds two: one being sent, one being filled.
	WriteSize int
	// AsyncWrites is the number of asynchronous (librados aio) WriteSize
	// writes each shard writer keeps in flight before it waits for the
	// oldest. 0 (the default) sends each full buffer with a synchronous
	// write on a goroutine of its own while the next buffer fills
	// (write-behind, one write in flight per shard). On the CPU-bound
	// micro-cluster asynchronous writes cost 11–32 % more gateway CPU per GB
	// than synchronous ones (docs/PERFORMANCE.md); they may pay where the
	// OSDs are a network round trip away.
	AsyncWrites int
	// MetaShards is the number of omap objects per namespace (default 16).
	// It is part of the on-cluster format: Open records it in the metadata
	// pool on first use and refuses a different value later.
	MetaShards int
	// ConnectTimeout bounds Connect (client_mount_timeout; default 15 s).
	ConnectTimeout time.Duration
	// OpTimeout bounds every OSD and monitor operation
	// (rados_osd_op_timeout, rados_mon_op_timeout; default 30 s).
	OpTimeout time.Duration
}

// withDefaults returns o with defaults filled in, or an error naming the
// first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.User == "" {
		o.User = DefaultUser
	}
	if o.MetaPool == "" {
		o.MetaPool = DefaultMetaPool
	}
	if len(o.DataPools) == 0 {
		o.DataPools = DefaultDataPools()
	}
	if o.OSDsPerRack == 0 {
		o.OSDsPerRack = DefaultOSDsPerRack
	}
	if o.PieceSize == 0 {
		o.PieceSize = DefaultPieceSize
	}
	if o.WriteSize == 0 {
		o.WriteSize = int(min(DefaultWriteSize, o.PieceSize))
	}
	if o.MetaShards == 0 {
		o.MetaShards = DefaultMetaShards
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.OpTimeout == 0 {
		o.OpTimeout = DefaultOpTimeout
	}

	switch {
	case o.OSDsPerRack < 1 || o.OSDsPerRack > 26:
		return o, fmt.Errorf("rados: OSDsPerRack %d: want 1..26", o.OSDsPerRack)
	case o.PieceSize < minWriteSize || o.PieceSize > maxPieceSize:
		return o, fmt.Errorf("rados: PieceSize %d: want %d..%d", o.PieceSize, minWriteSize, maxPieceSize)
	case o.WriteSize < minWriteSize || int64(o.WriteSize) > o.PieceSize || o.PieceSize%int64(o.WriteSize) != 0:
		return o, fmt.Errorf("rados: WriteSize %d: want at least %d and a divisor of PieceSize %d",
			o.WriteSize, minWriteSize, o.PieceSize)
	case o.AsyncWrites < 0 || o.AsyncWrites > 64:
		return o, fmt.Errorf("rados: AsyncWrites %d: want 0..64", o.AsyncWrites)
	case o.MetaShards < 1 || o.MetaShards > 4096:
		return o, fmt.Errorf("rados: MetaShards %d: want 1..4096", o.MetaShards)
	case o.ConnectTimeout < time.Second || o.OpTimeout < time.Second:
		// librados takes whole seconds; below one second the options mean "forever".
		return o, fmt.Errorf("rados: ConnectTimeout %v / OpTimeout %v: want at least 1s", o.ConnectTimeout, o.OpTimeout)
	}
	if len(o.Namespace) > maxNameLen || strings.ContainsRune(o.Namespace, 0) {
		return o, fmt.Errorf("rados: Namespace %q: want at most %d bytes, no NUL", o.Namespace, maxNameLen)
	}
	racks := make(map[string]bool, len(o.DataPools))
	for _, p := range o.DataPools {
		if p.Pool == "" || !validName(p.Rack) {
			return o, fmt.Errorf("rados: data pool %+v: want a pool name and a rack of [A-Za-z0-9._-]", p)
		}
		if racks[p.Rack] {
			return o, fmt.Errorf("rados: rack %q has two data pools", p.Rack)
		}
		racks[p.Rack] = true
	}
	return o, nil
}

// seconds renders d for librados options, which take whole seconds; it
// rounds up so that a timeout never shrinks to zero ("wait forever").
func seconds(d time.Duration) string {
	return fmt.Sprint(int64((d + time.Second - 1) / time.Second))
}
