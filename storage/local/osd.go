package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tasmaniancloud/rustfs/storage"
)

// OSD is one shard directory: <Path>/tmp holds shards being written,
// <Path>/shards/<fanout>/<name> committed ones. A shard appears under its
// name only by rename, so readers never see a partial shard.
type OSD struct {
	id, rack, path string
	fsync          bool
	io             *shardIO   // tuned write path (tunedwriter.go); nil: plain
	group          *syncGroup // shared commit sync; nil: per-shard fsyncs
}

var _ storage.OSD = (*OSD)(nil)

// idFile stores the OSD's ID inside its directory; Open refuses a layout
// that would give the directory another ID (a reordered flag, a swapped
// mount), which would silently break every manifest naming it.
const idFile = "osd-id"

// openOSD prepares the directory of spec and checks its stored ID.
func openOSD(spec OSDSpec, fsync bool) (*OSD, error) {
	o := &OSD{id: spec.ID, rack: spec.Rack, path: spec.Path, fsync: fsync}
	for _, d := range []string{o.tmpDir(), o.shardsDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("local: OSD %s: %w", o.id, err)
		}
	}
	idPath := filepath.Join(o.path, idFile)
	b, err := os.ReadFile(idPath)
	switch {
	case err == nil:
		if got := strings.TrimSpace(string(b)); got != o.id {
			return nil, fmt.Errorf("local: directory %s belongs to OSD %q, layout says %q", o.path, got, o.id)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := o.writeID(idPath); err != nil {
			return nil, fmt.Errorf("local: OSD %s: %w", o.id, err)
		}
	default:
		return nil, fmt.Errorf("local: OSD %s: %w", o.id, err)
	}
	return o, nil
}

// writeID records the OSD's ID atomically (concurrent first opens by two
// processes write the same content).
func (o *OSD) writeID(idPath string) error {
	f, err := os.CreateTemp(o.tmpDir(), "id-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(o.id + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), idPath); err != nil {
		return err
	}
	return syncDir(o.path)
}

// ID is the OSD's stable identifier.
func (o *OSD) ID() string { return o.id }

// Rack is the OSD's failure domain.
func (o *OSD) Rack() string { return o.rack }

// Path is the OSD's directory, for scrubbers and operators.
func (o *OSD) Path() string { return o.path }

func (o *OSD) tmpDir() string    { return filepath.Join(o.path, "tmp") }
func (o *OSD) shardsDir() string { return filepath.Join(o.path, "shards") }

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
	if o.io != nil {
		return o.io.create(o, name)
	}
	f, err := os.CreateTemp(o.tmpDir(), name+".*")
	if err != nil {
		return nil, fmt.Errorf("local: OSD %s: create %s: %w", o.id, name, err)
	}
	return &shardWriter{osd: o, name: name, f: f}, nil
}

// Open opens committed shard name for reading.
func (o *OSD) Open(ctx context.Context, name string) (storage.ShardReader, error) {
	if err := checkShardName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(o.ShardPath(name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("local: OSD %s: shard %s: %w", o.id, name, storage.ErrNotFound)
		}
		return nil, fmt.Errorf("local: OSD %s: open %s: %w", o.id, name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: OSD %s: stat %s: %w", o.id, name, err)
	}
	return &shardReader{File: f, size: st.Size()}, nil
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
	if err := os.Remove(o.ShardPath(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: OSD %s: remove %s: %w", o.id, name, err)
	}
	return nil
}

// shardWriter writes a temporary file and renames it into place on Commit.
// A mutex lets Abort run from a cancelling goroutine while Write is busy.
type shardWriter struct {
	osd  *OSD
	name string
	mu   sync.Mutex
	f    *os.File // nil once committed or aborted
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
	n, err := w.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, err)
	}
	return n, nil
}

// Commit syncs (per policy) and renames the shard into place. On failure
// the temporary file is removed and the writer is finished.
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
		return fmt.Errorf("local: OSD %s: commit %s: %w", w.osd.id, w.name, err)
	}
	return nil
}

func (w *shardWriter) commit(f *os.File) error {
	o := w.osd
	if o.fsync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	final := o.ShardPath(w.name)
	dir := filepath.Dir(final)
	err := os.Rename(f.Name(), final)
	if errors.Is(err, fs.ErrNotExist) {
		// First shard in this fanout directory: create it, then retry.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if o.fsync {
			if err := syncDir(o.shardsDir()); err != nil {
				return err
			}
		}
		err = os.Rename(f.Name(), final)
	}
	if err != nil {
		return err
	}
	if o.fsync {
		return syncDir(dir)
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
}

// Size is the committed length of the shard.
func (r *shardReader) Size() int64 { return r.size }
