// Package local is the embedded default storage backend: every OSD is a
// directory (ideally one per disk) and the metadata store is a tree of small
// files. Several gateway processes may share one data directory: shard
// names are unique per write and metadata writes take flock(2) locks.
//
// Layout under Options.Dir (default OSD paths):
//
//	osd0..osd5/tmp/                     shards being written
//	osd0..osd5/shards/<fanout>/<name>   committed shards
//	osd0..osd5/osd-id                   the OSD's ID, checked on Open
//	meta/<namespace>/<key>              metadata values (names escaped)
//	meta/.locks/00..ff                  write locks
package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Options configures Open.
type Options struct {
	// Dir holds the metadata (Dir/meta) and, by default, the OSDs.
	Dir string
	// Layout lists the OSDs; nil means DefaultLayout(Dir).
	Layout []OSDSpec
	// Fsync is FsyncAlways (the default when empty) or FsyncNever.
	Fsync string
	// ShardWrites is ShardWritesBuffered (the default when empty) or
	// ShardWritesDirect (O_DIRECT, falling back per file where refused).
	ShardWrites string
	// Commit is CommitEach (the default when empty) or CommitGroup
	// (concurrent shard commits share a filesystem sync; Linux only).
	Commit string
}

// Backend is the local storage.Backend.
type Backend struct {
	dir       string
	osds      []*OSD
	meta      *Meta
	closeOnce sync.Once
	closeErr  error
}

var _ storage.Backend = (*Backend)(nil)

// Open creates (if needed) and opens the directories of o.
func Open(o Options) (*Backend, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("local: Options.Dir is empty")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("local: dir %q: %w", o.Dir, err)
	}
	fsync, err := parseFsync(o.Fsync)
	if err != nil {
		return nil, err
	}
	layout := o.Layout
	if layout == nil {
		layout = DefaultLayout(dir)
	}
	specs, err := validateLayout(dir, layout)
	if err != nil {
		return nil, err
	}
	sio, err := newShardIO(o.ShardWrites, o.Commit, fsync)
	if err != nil {
		return nil, err
	}
	b := &Backend{dir: dir}
	for _, s := range specs {
		osd, err := openOSD(s, fsync)
		if err != nil {
			return nil, err
		}
		if sio != nil {
			if err := sio.attach(osd); err != nil {
				return nil, err
			}
		}
		b.osds = append(b.osds, osd)
	}
	if b.meta, err = newMeta(filepath.Join(dir, "meta"), fsync); err != nil {
		return nil, err
	}
	return b, nil
}

// OSDs returns the OSDs in layout order (a fresh slice each call).
func (b *Backend) OSDs() []storage.OSD {
	out := make([]storage.OSD, len(b.osds))
	for i, o := range b.osds {
		out[i] = o
	}
	return out
}

// LocalOSDs returns the concrete OSDs, for scrubbers that walk directories.
func (b *Backend) LocalOSDs() []*OSD { return append([]*OSD(nil), b.osds...) }

// Meta returns the metadata store.
func (b *Backend) Meta() storage.Meta { return b.meta }

// LocalMeta returns the concrete metadata store.
func (b *Backend) LocalMeta() *Meta { return b.meta }

// MetaDir is the root of the metadata tree (see Meta.Dir).
func (b *Backend) MetaDir() string { return b.meta.Dir() }

// Dir is the backend's data directory.
func (b *Backend) Dir() string { return b.dir }

// Close releases the lock files. Later metadata writes fail.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.meta.locks.closeAll() })
	return b.closeErr
}

// SweepTemp removes temporary files (unfinished shards in every OSD's tmp
// directory, unfinished metadata values) last modified before cutoff, and
// returns how many it removed. Writers in other processes may share the
// directories, so cutoff must be far older than any write in flight (hours,
// not seconds).
func (b *Backend) SweepTemp(ctx context.Context, cutoff time.Time) (int, error) {
	removed := 0
	old := func(info os.FileInfo) bool {
		return info.Mode().IsRegular() && info.ModTime().Before(cutoff)
	}
	for _, o := range b.osds {
		names, err := readDirNames(o.tmpDir())
		if err != nil {
			return removed, fmt.Errorf("local: sweep %s: %w", o.id, err)
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			p := filepath.Join(o.tmpDir(), n)
			if info, err := os.Lstat(p); err == nil && old(info) && os.Remove(p) == nil {
				removed++
			}
		}
	}
	nss, err := readDirNames(b.meta.dir)
	if err != nil {
		return removed, fmt.Errorf("local: sweep meta: %w", err)
	}
	for _, ns := range nss {
		if len(ns) == 0 || ns[0] == '.' {
			continue
		}
		dir := filepath.Join(b.meta.dir, ns)
		names, err := readDirNames(dir)
		if err != nil {
			continue // not a directory, or removed meanwhile
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			if len(n) < len(tmpPrefix) || n[:len(tmpPrefix)] != tmpPrefix {
				continue
			}
			p := filepath.Join(dir, n)
			if info, err := os.Lstat(p); err == nil && old(info) && os.Remove(p) == nil {
				removed++
			}
		}
	}
	return removed, nil
}
