package local

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Shard write modes accepted by Options.ShardWrites.
const (
	// ShardWritesBuffered writes shards through the page cache.
	ShardWritesBuffered = "buffered"
	// ShardWritesDirect writes shards with O_DIRECT in large aligned
	// blocks: no page-cache copy and no write-back burst at fsync time.
	// Filesystems that refuse O_DIRECT (tmpfs on old kernels, some FUSE)
	// fall back to buffered writes per file.
	ShardWritesDirect = "direct"
)

// Shard commit modes accepted by Options.Commit.
const (
	// CommitEach syncs every shard file and its directory on its own.
	CommitEach = "each"
	// CommitGroup lets concurrent commits on one filesystem, of shards and
	// of metadata copies (writeCopy), share a filesystem-wide sync
	// (syncfs(2)): many small PUTs pay one journal commit instead of two
	// fsyncs per shard and per metadata copy. Linux only.
	CommitGroup = "group"
)

// directAlign is the alignment of O_DIRECT offsets, lengths and buffers:
// the page size, a multiple of every common logical block size.
const directAlign = 4096

// directBufSize is the aligned block each direct writer fills before one
// write(2); large enough that the device sees big requests.
const directBufSize = 1 << 20

// directStart is where a direct writer switches to O_DIRECT: the first
// MiB of every shard goes through the page cache, so small shards (small
// objects) keep buffered writes, which on disks with a write cache are
// faster and need no aligned block; large shards stream the rest direct.
// It is a multiple of directAlign.
const directStart = 1 << 20

// directWriteBehind is how many full blocks a direct shard writer may have
// queued or being written before a Write waits for the disk.
const directWriteBehind = 4

// directBehindBudget caps, per backend, the blocks writers hold in flight
// beyond their first one: a single stream's six writers get the full
// write-behind (3 extra blocks each), while many concurrent streams (a
// multipart upload's parts, which already keep the disk busy between
// them) fall back to one block in flight each. So the aligned blocks in
// use stay at most 2 per writer (the one filling and one in flight) plus
// this many, whatever the concurrency.
const directBehindBudget = 18

// directFlushEvery is how many bytes of direct writes may reach one
// filesystem before a shard writer asks its device to make them durable
// (fdatasync) while the streams go on: see earlyFlush.
const directFlushEvery = 16 << 20

// shardIO is the write-path configuration the OSDs of one backend share.
type shardIO struct {
	direct bool
	fsync  bool
	bufs   chan *[]byte // free aligned blocks (a sync.Pool would be emptied by every GC)
	groups map[uint64]*syncGroup
	// flushEvery: see directFlushEvery (0: no early flushes); flushes
	// holds one earlyFlush per filesystem.
	flushEvery int64
	flushes    map[uint64]*earlyFlush
	// enableDirect turns O_DIRECT on for a file (setDirect; tests replace
	// it to take the refusal path on filesystems that accept O_DIRECT).
	enableDirect func(*os.File) error

	// writeBehind is the blocks a direct writer keeps in flight; extra
	// counts those beyond each writer's first, capped at behindBudget.
	writeBehind  int
	behindBudget int64
	extra        atomic.Int64

	// proven holds the OSDs whose filesystem has taken an aligned direct
	// write: their writers hand even their first block to the flusher,
	// instead of writing it in line to learn whether O_DIRECT works.
	mu     sync.Mutex
	proven map[*OSD]bool
}

// directProven reports whether o has completed a direct write.
func (s *shardIO) directProven(o *OSD) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proven[o]
}

// proveDirect records that o completed a direct write.
func (s *shardIO) proveDirect(o *OSD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proven == nil {
		s.proven = make(map[*OSD]bool)
	}
	s.proven[o] = true
}

// newShardIO parses the modes; it returns nil when the plain path of
// shardWriter applies (buffered writes, per-shard syncs).
func newShardIO(writes, commit string, fsync bool) (*shardIO, error) {
	s := &shardIO{fsync: fsync, enableDirect: setDirect, writeBehind: directWriteBehind, behindBudget: directBehindBudget}
	if fsync {
		s.flushEvery = directFlushEvery
		s.flushes = make(map[uint64]*earlyFlush)
	}
	switch writes {
	case "", ShardWritesBuffered:
	case ShardWritesDirect:
		s.direct = directSupported
	default:
		return nil, fmt.Errorf("local: shard writes %q: want %q or %q", writes, ShardWritesBuffered, ShardWritesDirect)
	}
	switch commit {
	case "", CommitEach:
	case CommitGroup:
		if !directSupported {
			return nil, fmt.Errorf("local: commit %q needs Linux", commit)
		}
		if fsync {
			s.groups = make(map[uint64]*syncGroup)
		}
	default:
		return nil, fmt.Errorf("local: commit %q: want %q or %q", commit, CommitEach, CommitGroup)
	}
	if !s.direct && s.groups == nil {
		return nil, nil
	}
	s.bufs = make(chan *[]byte, directFreeBlocks)
	return s, nil
}

// directFreeBlocks is how many idle aligned blocks a backend keeps for
// reuse; more writers than this allocate (and later drop) their own.
const directFreeBlocks = 64

// depth is the write-behind of one writer, in blocks (at least 1).
func (s *shardIO) depth() int { return max(s.writeBehind, 1) }

// reserveExtra takes one block of the shared write-behind budget; false
// when it is spent.
func (s *shardIO) reserveExtra() bool {
	if s.extra.Add(1) <= s.behindBudget {
		return true
	}
	s.extra.Add(-1)
	return false
}

// releaseExtra gives n blocks back to the budget.
func (s *shardIO) releaseExtra(n int) { s.extra.Add(-int64(n)) }

// getBuf returns a free aligned block or a new one.
func (s *shardIO) getBuf() *[]byte {
	select {
	case b := <-s.bufs:
		return b
	default:
	}
	b := make([]byte, directBufSize+directAlign)
	off := 0
	if r := int(addrOf(b) % directAlign); r != 0 {
		off = directAlign - r
	}
	b = b[off : off+directBufSize : off+directBufSize]
	return &b
}

// putBuf keeps b for reuse if there is room.
func (s *shardIO) putBuf(b *[]byte) {
	select {
	case s.bufs <- b:
	default:
	}
}

// attach gives o its commit group and its early flushes (one of each per
// filesystem) and this config.
func (s *shardIO) attach(o *OSD) {
	o.io = s
	dev, err := deviceOf(o.path)
	if s.direct && s.flushEvery > 0 {
		switch {
		case err != nil: // down at start: its own, like its sync group
			o.early = newEarlyFlush(s.flushEvery)
		case s.flushes[dev] != nil:
			o.early = s.flushes[dev]
		default:
			o.early = newEarlyFlush(s.flushEvery)
			s.flushes[dev] = o.early
		}
	}
	if s.groups == nil {
		return
	}
	if err != nil {
		// An OSD that is down at start gets a sync group of its own:
		// correct, only not shared with its neighbours.
		dir := o.path
		o.group = newSyncGroup(func() error { return syncFS(dir) })
		return
	}
	if g := s.groups[dev]; g != nil {
		o.group = g
		return
	}
	dir := o.path
	o.group = newSyncGroup(func() error { return syncFS(dir) })
	s.groups[dev] = o.group
}

// create starts a shard writer on o in this configuration. The file starts
// buffered; a direct writer switches to O_DIRECT once the shard reaches
// directStart bytes (see tunedWriter.Write), or at once when size (the
// expected shard length, storage.WithShardSize; 0 when unknown) says the
// shard will reach it: then not even its first MiB is copied through the
// page cache.
func (s *shardIO) create(o *OSD, name string, size int64, fresh bool) (*tunedWriter, error) {
	w := &tunedWriter{osd: o, name: name, wantDirect: s.direct, fresh: fresh}
	err := o.inject("create")
	for i := 0; err == nil || os.IsExist(err) && i < 10; i++ {
		w.tmp = o.tmpDir() + string(os.PathSeparator) + name + "." + randSuffix()
		w.f, err = openFile(w.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !os.IsExist(err) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("local: OSD %s: create %s: %w", o.id, name, o.check(err))
	}
	if w.wantDirect && size >= directStart {
		w.wantDirect = false
		if s.enableDirect(w.f) == nil { // else buffered throughout
			w.direct = true
			w.buf = s.getBuf()
		}
	}
	return w, nil
}

// earlyFlush makes direct writes durable while a stream is still being
// written, instead of all at its commit. An O_DIRECT write completes once
// the device has the data, which may still be in its volatile write cache
// (a virtual disk's host page cache, a drive's DRAM): the commit's fsync
// then waits for the device to flush everything written since the last
// flush. Traced on a virtio disk at low load, a 64 MiB PUT's (96 MiB of
// shards) first commit fsync took 43-62 ms, over a quarter of the PUT, and
// stalled every other request to the device meanwhile, while the shard
// writes had left the disk idle half of the time the (CPU-bound) pipeline
// was streaming. So once flushEvery bytes of direct writes have reached a
// filesystem since its last flush (an early one, or a commit's fsync:
// synced), the writer that crossed the mark fdatasyncs its file (the
// device's cache flush covers every file on it) while the other writers,
// and its own write-behind, go on; the commit's fsync finds little left to
// flush. Where other users keep the device busy, each flush writes their
// data back too and the gain goes (docs/PERFORMANCE.md, h45).
//
// Nothing depends on these flushes for durability: every shard is still
// fsynced at its commit (commitFresh, or the group sync). They only move
// the device's work earlier. A failed early flush fails the shard's write
// like a failed block: its error would otherwise be taken from the file's
// error state by this fdatasync and not be seen by the commit's fsync.
type earlyFlush struct {
	every   int64
	pending atomic.Int64 // direct bytes written since the last flush began
	busy    atomic.Bool  // a flush is running
	// flush is flushData (tests replace it to count or fail flushes).
	flush func(*os.File) error
}

// newEarlyFlush returns the early flushes of one filesystem.
func newEarlyFlush(every int64) *earlyFlush {
	return &earlyFlush{every: every, flush: flushData}
}

// wrote counts n direct bytes just written to f and, at the mark and when
// no flush is running on the filesystem, flushes f's data and the device
// cache before returning.
func (e *earlyFlush) wrote(f *os.File, n int64) error {
	p := e.pending.Add(n)
	if p < e.every || !e.busy.CompareAndSwap(false, true) {
		return nil
	}
	defer e.busy.Store(false)
	err := e.flush(f)
	if err == nil {
		e.flushed(p)
	}
	return err
}

// synced is called around a commit's fsync, which flushes the device too:
// the bytes counted when it started are durable once it returns nil. So
// many concurrent streams (multipart parts), whose commits flush the device
// often, make few early flushes. A nil e does nothing.
func (e *earlyFlush) synced(start int64, err error) {
	if e != nil && err == nil {
		e.flushed(start)
	}
}

// count is the bytes pending now (0 for a nil e), for synced.
func (e *earlyFlush) count() int64 {
	if e == nil {
		return 0
	}
	return e.pending.Load()
}

// flushed takes p bytes off the count, not below zero (another flush may
// have taken some of the same bytes).
func (e *earlyFlush) flushed(p int64) {
	for {
		v := e.pending.Load()
		if e.pending.CompareAndSwap(v, max(v-p, 0)) {
			return
		}
	}
}
