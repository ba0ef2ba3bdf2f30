// Package rados is the Ceph storage backend: a storage.Backend whose OSDs are
// RADOS pools pinned to racks and whose metadata store is omap in a
// replicated pool. It talks to Ceph through librados (github.com/ceph/go-ceph)
// and is compiled only with the build tag `ceph` (cgo and librados-dev are
// required); without the tag this package is empty, so the default build
// stays pure Go.
//
// # Layout
//
// Shard data: every rack has one size-1 pool whose CRUSH rule takes only that
// rack (scripts/ceph-up.sh creates rustfs.rack0..2 with rules
// rustfs-rack0..2). Ceph does not replicate shards: the gateway's own
// Reed-Solomon coding provides the redundancy and CRUSH provides the rack
// spread. Each pool backs Options.OSDsPerRack logical OSDs ("shard slots")
// named <rack>-a, <rack>-b, …, so the engine sees 6 OSDs in 3 racks by
// default. A shard named N on slot S is stored as RADOS objects
//
//	S/N.0, S/N.1, …   pieces of at most PieceSize bytes
//
// and committed by setting the xattr "rustfs.commit" (magic, size, piece
// size) on S/N.0 after every byte is written. A shard without that record is
// not visible: Open fails with storage.ErrNotFound, so a writer that dies
// half-way never exposes a torn shard. A shard that fits in one piece (every
// shard of a small object) is written and committed in a single atomic
// RADOS op. PieceSize defaults to 32 MiB: far below Ceph's 128 MiB object
// size limit (osd_max_object_size) and the 90 MiB single-op limit
// (osd_max_write_size), large enough that a 1 GiB shard is only 32 objects,
// and small enough to spread a large shard over the rack's OSDs and PGs.
// Writes are buffered and sent in WriteSize (default 2 MiB) operations, which
// keeps a writer's memory small and the OSD ops near their sweet spot. By
// default each full buffer goes out as a synchronous write on a goroutine of
// its own while the writer fills a second buffer (write-behind: one write in
// flight per shard, so the OSDs write while the engine seals and encodes,
// instead of the engine's stripes waiting a round trip per buffer);
// Options.AsyncWrites instead keeps several in flight per shard through
// librados' asynchronous API (aio.go). Commit waits for every write before
// the commit record makes the shard visible.
//
// Metadata: namespace ns is split into Options.MetaShards (default 16) omap
// objects "ns.<escaped ns>.<i>" in the replicated metadata pool; a key lives
// in shard hash(key) mod MetaShards. Each key has two omap entries written
// together: "k"+key holding the version and the value, and "v"+key holding
// the version as 16 hex digits. Every write is one RADOS write op that starts
// with an omap comparison on "v"+key (absent, equal to the expected version,
// or lower than the new one) and then sets or removes both entries, so the
// OSD applies the guard and the change atomically: two gateways racing on a
// key get exactly one winner and no torn state. (go-ceph has no omap
// compare, so that one op is built by a small cgo helper on librados'
// rados_write_op_omap_cmp2.) Versions are max(previous+1, wall clock in ns),
// strictly increasing per key. List merges the byte-ordered omap pages of
// all shards of the namespace. A shard object whose last key is deleted is
// removed under an object-version assertion, so short-lived namespaces such
// as part/<uploadID> leave nothing behind.
//
// Every object lives in the RADOS namespace Options.Namespace (default: the
// pools' default namespace), so several deployments or test runs can share
// the pools without seeing each other.
//
// # Timeouts
//
// librados waits forever by default. Open sets client_mount_timeout,
// rados_osd_op_timeout and rados_mon_op_timeout (Options.ConnectTimeout,
// OpTimeout), so a dead monitor or a stopped OSD turns into an error wrapping
// storage.ErrUnavailable in bounded time.
package rados
