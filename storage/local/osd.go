package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/storage"
)

// OSD is one shard directory: <Path>/tmp holds shards being written,
// <Path>/shards/<fanout>/<name> committed ones, <Path>/meta this OSD's
// replica of the metadata store, <Path>/format its identity. A shard
// appears under its name only by rename, so readers never see a partial
// shard.
//
// An OSD tracks its health (storage.Checker): it marks itself down on EIO,
// ENOSPC, EROFS or a failed fsync, and the backend's prober marks it up
// again once a probe succeeds. An OSD without an identity (unusable at
// Open, or holding a foreign format) serves nothing until the prober
// adopts its directory.
type OSD struct {
	id, rack, path string
	fsync          bool

	down       atomic.Bool
	identified atomic.Bool // format checked; false = serve nothing
	filling    atomic.Bool // replacement not yet refilled (sys/osds)
	mu         sync.Mutex  // guards lastErr and uuid
	lastErr    string
	uuid       string
	// onDown is called (outside any lock) when the OSD is marked down.
	onDown func()
	// fault, when set (tests only), injects an error into an operation.
	fault func(op string) error

	io    *shardIO    // tuned write path (tunedwriter.go); nil: plain
	idx   *metaIndex  // ordered key index of the metadata replica (index.go)
	group *syncGroup  // shared commit sync; nil: per-shard fsyncs
	early *earlyFlush // flushes of direct writes while streaming; nil: none
	dirs  *dirSyncs   // directory fsyncs shared by concurrent callers
	// readBufs holds firstRead-byte buffers for readValueFile.
	readBufs sync.Pool
}

var _ storage.OSD = (*OSD)(nil)

// newOSD returns the OSD of spec, not yet identified.
func newOSD(spec OSDSpec, fsync bool) *OSD {
	o := &OSD{id: spec.ID, rack: spec.Rack, path: spec.Path, fsync: fsync, dirs: newDirSyncs(syncDir)}
	o.readBufs.New = func() any { b := make([]byte, firstRead); return &b }
	return o
}

// prepare creates the OSD's subdirectories.
func (o *OSD) prepare() error {
	for _, d := range []string{o.tmpDir(), o.shardsDir(), o.metaDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// ID is the OSD's stable identifier.
func (o *OSD) ID() string { return o.id }

// Rack is the OSD's failure domain.
func (o *OSD) Rack() string { return o.rack }

// Path is the OSD's directory, for scrubbers and operators.
func (o *OSD) Path() string { return o.path }

func (o *OSD) tmpDir() string    { return filepath.Join(o.path, "tmp") }
func (o *OSD) shardsDir() string { return filepath.Join(o.path, "shards") }
func (o *OSD) metaDir() string   { return filepath.Join(o.path, "meta") }

// ShardPath is where the committed shard name lives (whether or not it
// exists). Shard names use only [A-Za-z0-9._-] and do not start with '.'.
func (o *OSD) ShardPath(name string) string {
	return filepath.Join(o.shardsDir(), fanout(name), name)
}

func checkShardName(name string) error {
	if !validName(name) {
		return fmt.Errorf("local: shard name %q: %w", name, storage.ErrInvalid)
	}
	return nil
}

// Create starts shard name in the OSD's tmp directory.
func (o *OSD) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	if err := checkShardName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !o.Healthy() {
		// Writers should have skipped it; fail fast rather than fill a
		// disk that reported ENOSPC or EIO a moment ago.
		return nil, o.unavailable()
	}
	fresh := storage.FreshShard(ctx)
	if o.io != nil {
		hint, _ := storage.ShardSize(ctx)
		return o.io.create(o, name, hint, fresh)
	}
	err := o.inject("create")
	var f *os.File
	if err == nil {
		f, err = createTemp(o.tmpDir(), name+".")
	}
	if err != nil {
		return nil, fmt.Errorf("local: OSD %s: create %s: %w", o.id, name, o.check(err))
	}
	return &shardWriter{osd: o, name: name, f: f, fresh: fresh}, nil
}

// Open opens committed shard name for reading.
func (o *OSD) Open(ctx context.Context, name string) (storage.ShardReader, error) {
	if err := checkShardName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !o.identified.Load() {
		return nil, o.unavailable()
	}
	err := o.inject("read")
	var f *os.File
	if err == nil {
		f, err = openFile(o.ShardPath(name), os.O_RDONLY, 0)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("local: OSD %s: shard %s: %w", o.id, name, storage.ErrNotFound)
		}
		return nil, fmt.Errorf("local: OSD %s: open %s: %w", o.id, name, o.check(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: OSD %s: stat %s: %w", o.id, name, o.check(err))
	}
	return &shardReader{File: f, size: st.Size(), osd: o}, nil
}

// Remove deletes committed shard name; a missing shard is not an error.
// The directory is not synced: a removal lost in a crash leaves an
// unreferenced shard, which garbage collection handles.
func (o *OSD) Remove(ctx context.Context, name string) error {
	if err := checkShardName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !o.identified.Load() {
		return o.unavailable()
	}
	if err := os.Remove(o.ShardPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: OSD %s: remove %s: %w", o.id, name, o.check(err))
	}
	return nil
}

// shardWriter writes a temporary file and renames it into place on Commit.
// A mutex lets Abort run from a cancelling goroutine while Write is busy.
type shardWriter struct {
	osd   *OSD
	name  string
	fresh bool // storage.FreshShard: commit with commitFresh
	mu    sync.Mutex
	f     *os.File // nil once committed or aborted
}

// errWriterDone reports use of a writer after Commit or Abort.
var errWriterDone = errors.New("local: shard writer already committed or aborted")

// Write appends p to the temporary file.
func (w *shardWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, errWriterDone
	}
	if err := w.osd.inject("write"); err != nil {
		return 0, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, w.osd.check(err))
	}
	n, err := w.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, w.osd.check(err))
	}
	return n, nil
}

// Commit syncs (per policy) and renames the shard into place (a fresh
// name, storage.FreshShard: renames first and then syncs, commitFresh). On
// failure the temporary file is removed (a fresh name too) and the writer
// is finished.
func (w *shardWriter) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errWriterDone
	}
	f := w.f
	w.f = nil
	if err := w.commit(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("local: OSD %s: commit %s: %w", w.osd.id, w.name, w.osd.check(err))
	}
	return nil
}

func (w *shardWriter) commit(f *os.File) error {
	o := w.osd
	if w.fresh && o.fsync {
		return o.commitFresh(f, f.Name(), w.name)
	}
	if o.fsync {
		if err := o.syncFile(f); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	final := o.ShardPath(w.name)
	dir := filepath.Dir(final)
	err := renameFile(f.Name(), final)
	if errors.Is(err, fs.ErrNotExist) {
		// First shard in this fanout directory: create it, then retry.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if o.fsync {
			if err := o.syncDirOf(o.shardsDir()); err != nil {
				return err
			}
		}
		err = renameFile(f.Name(), final)
	}
	if err != nil {
		return err
	}
	if o.fsync {
		return o.syncDirOf(dir)
	}
	return nil
}

// Abort discards the shard; after Commit, or a second time, it does nothing.
func (w *shardWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	cerr := f.Close()
	if err := os.Remove(f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: OSD %s: abort %s: %w", w.osd.id, w.name, err)
	}
	if cerr != nil {
		return fmt.Errorf("local: OSD %s: abort %s: %w", w.osd.id, w.name, cerr)
	}
	return nil
}

// shardReader is an open committed shard.
type shardReader struct {
	*os.File
	size int64
	osd  *OSD
}

// ReadAt reads from the shard, marking the OSD down on a disk error.
func (r *shardReader) ReadAt(p []byte, off int64) (int, error) {
	if err := r.osd.inject("read"); err != nil {
		return 0, r.osd.check(err)
	}
	n, err := r.File.ReadAt(p, off)
	if err != nil && n < len(p) {
		r.osd.check(err)
	}
	return n, err
}

// Size is the committed length of the shard.
func (r *shardReader) Size() int64 { return r.size }
