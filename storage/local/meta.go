package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Meta is the file-based metadata store: one directory per namespace, one
// file per key, each file replaced atomically by rename so that readers see
// the old or the new value, never a mix. Writes lock a stripe of
// (namespace, key) with flock, so several gateway processes may share the
// directory.
//
// Listing reads the whole namespace directory and sorts it: O(n) per page
// in the number of keys of the namespace. That suits the embedded backend;
// the RADOS backend keeps a sharded, ordered index instead.
type Meta struct {
	dir   string
	fsync bool
	locks *stripeLocks
	now   func() time.Time
}

var _ storage.Meta = (*Meta)(nil)

// tmpPrefix starts temporary value files; listing skips them and
// Backend.SweepTemp removes stale ones.
const tmpPrefix = ".tmp-"

// newMeta prepares dir (and its lock directory).
func newMeta(dir string, fsync bool) (*Meta, error) {
	locks := filepath.Join(dir, ".locks")
	if err := os.MkdirAll(locks, 0o700); err != nil {
		return nil, fmt.Errorf("local: meta dir: %w", err)
	}
	return &Meta{dir: dir, fsync: fsync, locks: newStripeLocks(locks), now: time.Now}, nil
}

// Dir is the root of the metadata tree: <Dir>/<escaped namespace>/<escaped
// key>, hash-named ("~" + SHA-256) when an escaped name would be too long.
// Names starting with '.' are internal (locks, temporary files).
func (m *Meta) Dir() string { return m.dir }

// nsDir returns the directory of namespace ns.
func (m *Meta) nsDir(ns string) (string, error) {
	if ns == "" {
		return "", fmt.Errorf("local: meta: empty namespace: %w", storage.ErrInvalid)
	}
	if len(ns) > storage.MaxKeyLen {
		return "", fmt.Errorf("local: meta: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	return filepath.Join(m.dir, escapeName(ns)), nil
}

// paths validates (ns, key) and returns the namespace directory and file.
func (m *Meta) paths(ns, key string) (dir, file string, err error) {
	dir, err = m.nsDir(ns)
	if err != nil {
		return "", "", err
	}
	if key == "" || len(key) > storage.MaxKeyLen {
		return "", "", fmt.Errorf("local: meta: key of %d bytes: %w", len(key), storage.ErrInvalid)
	}
	return dir, filepath.Join(dir, escapeName(key)), nil
}

// Get returns the value stored under key and its version.
func (m *Meta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	_, file, err := m.paths(ns, key)
	if err != nil {
		return nil, 0, err
	}
	k, val, v, err := readValueFile(file)
	if err != nil {
		return nil, 0, fmt.Errorf("local: get %s/%q: %w", ns, key, err)
	}
	if k != key {
		// Only a SHA-256 collision or a misplaced file can get here.
		return nil, 0, fmt.Errorf("local: get %s/%q: file holds key %q: %w", ns, key, k, errCorrupt)
	}
	return val, v, nil
}

// readValueFile reads and checks a whole value file. A missing file wraps
// storage.ErrNotFound.
func readValueFile(file string) (string, []byte, storage.Version, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return "", nil, 0, storage.ErrNotFound
		}
		return "", nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", nil, 0, err
	}
	if st.Size() < valueHeader+valueTrailer || st.Size() > maxValueFile {
		return "", nil, 0, fmt.Errorf("%w: size %d", errCorrupt, st.Size())
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return "", nil, 0, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return decodeValue(b)
}

// currentVersion reads only the header of file: (0, false) when absent.
func currentVersion(file string) (storage.Version, bool, error) {
	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return 0, false, nil
		}
		return 0, false, err
	}
	defer f.Close()
	var h [valueHeader]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return 0, true, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	v, _, _, err := decodeHeader(h[:])
	return v, true, err
}

// Put stores val under key, honouring cond. Versions are
// max(previous+1, wall clock in ns): strictly increasing per key and, unless
// the clock steps back, never reused after a delete and re-create, so a
// stale IfVersion cannot match a new incarnation of the key.
func (m *Meta) Put(ctx context.Context, ns, key string, val []byte, cond storage.Cond) (storage.Version, error) {
	dir, file, err := m.paths(ns, key)
	if err != nil {
		return 0, err
	}
	if len(val) > storage.MaxValueLen {
		return 0, fmt.Errorf("local: put %s/%q: value of %d bytes: %w", ns, key, len(val), storage.ErrInvalid)
	}
	unlock, err := m.locks.lock(ctx, stripeOf(ns, key))
	if err != nil {
		return 0, err
	}
	defer unlock()

	old, exists, err := currentVersion(file)
	switch {
	case err != nil && (cond.IfVersion != 0 || !exists):
		return 0, fmt.Errorf("local: put %s/%q: %w", ns, key, err)
	case err != nil:
		// An unconditional or IfAbsent write over a damaged file: IfAbsent
		// fails below because the key exists; a plain Put repairs the key.
		old = 0
	}
	if cond.IfAbsent && exists {
		return 0, fmt.Errorf("local: put %s/%q: key exists: %w", ns, key, storage.ErrPrecondition)
	}
	if cond.IfVersion != 0 && (!exists || old != cond.IfVersion) {
		return 0, fmt.Errorf("local: put %s/%q: version %d, want %d: %w", ns, key, old, cond.IfVersion, storage.ErrPrecondition)
	}
	v := storage.Version(max(m.now().UnixNano(), 0))
	if v <= old {
		v = old + 1
	}
	if err := m.writeFile(dir, file, encodeValue(key, val, v)); err != nil {
		return 0, fmt.Errorf("local: put %s/%q: %w", ns, key, err)
	}
	return v, nil
}

// writeFile writes img to a temporary file in dir and renames it over file.
// A namespace directory removed by a concurrent Delete is re-created.
func (m *Meta) writeFile(dir, file string, img []byte) error {
	var f *os.File
	for attempt := 0; ; attempt++ {
		var err error
		f, err = os.CreateTemp(dir, tmpPrefix+"*")
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 3 {
			return err
		}
		if err := os.Mkdir(dir, 0o700); err == nil {
			if m.fsync {
				if err := syncDir(m.dir); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(img); err != nil {
		return err
	}
	if m.fsync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return err
	}
	ok = true
	if m.fsync {
		return syncDir(dir)
	}
	return nil
}

// Delete removes key, honouring cond.IfVersion. An empty namespace
// directory is removed too (rmdir only succeeds on an empty directory, and a
// concurrent writer re-creates it), so short-lived namespaces such as
// part/<uploadID> leave nothing behind.
func (m *Meta) Delete(ctx context.Context, ns, key string, cond storage.Cond) error {
	dir, file, err := m.paths(ns, key)
	if err != nil {
		return err
	}
	unlock, err := m.locks.lock(ctx, stripeOf(ns, key))
	if err != nil {
		return err
	}
	old, exists, err := currentVersion(file)
	if !exists {
		unlock()
		return fmt.Errorf("local: delete %s/%q: %w", ns, key, storage.ErrNotFound)
	}
	if cond.IfVersion != 0 && (err != nil || old != cond.IfVersion) {
		unlock()
		if err != nil {
			return fmt.Errorf("local: delete %s/%q: %w", ns, key, err)
		}
		return fmt.Errorf("local: delete %s/%q: version %d, want %d: %w", ns, key, old, cond.IfVersion, storage.ErrPrecondition)
	}
	if err := os.Remove(file); err != nil {
		unlock()
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local: delete %s/%q: %w", ns, key, storage.ErrNotFound)
		}
		return fmt.Errorf("local: delete %s/%q: %w", ns, key, err)
	}
	if m.fsync {
		// A concurrent Delete of the namespace's last other key may have
		// removed the (then empty) directory already: our entry is gone
		// with it, which is what the sync was to make durable.
		if err := syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			unlock()
			return fmt.Errorf("local: delete %s/%q: %w", ns, key, err)
		}
	}
	unlock()
	// ENOTEMPTY (the usual case) and races with writers are both fine.
	_ = os.Remove(dir)
	return nil
}

// listed is one candidate of a listing; entries of hash-named files are
// read while discovering their key and kept.
type listed struct {
	key   string
	name  string
	entry *storage.Entry
}

// List returns up to limit entries of ns with keys starting with prefix and
// sorting strictly after after, in byte order. limit ≤ 0 returns nothing.
// Entries whose file vanishes between the directory scan and the read are
// skipped and the next candidate is taken, so a short page still means the
// end of the namespace.
func (m *Meta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	dir, err := m.nsDir(ns)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, err := readDirNames(dir)
	if err != nil {
		return nil, fmt.Errorf("local: list %s: %w", ns, err)
	}
	cands := make([]listed, 0, len(names))
	for _, name := range names {
		if isHashName(name) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			k, val, v, err := readValueFile(filepath.Join(dir, name))
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("local: list %s: %s: %w", ns, name, err)
			}
			if keep(k, prefix, after) {
				cands = append(cands, listed{key: k, name: name, entry: &storage.Entry{Key: k, Value: val, Version: v}})
			}
			continue
		}
		k, ok := unescapeName(name)
		if !ok || !keep(k, prefix, after) {
			continue // internal, temporary or foreign file, or filtered out
		}
		cands = append(cands, listed{key: k, name: name})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].key < cands[j].key })

	out := make([]storage.Entry, 0, min(limit, len(cands)))
	for _, c := range cands {
		if len(out) == limit {
			break
		}
		if c.entry != nil {
			out = append(out, *c.entry)
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, val, v, err := readValueFile(filepath.Join(dir, c.name))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("local: list %s: %q: %w", ns, c.key, err)
		}
		if k != c.key {
			return nil, fmt.Errorf("local: list %s: file %s holds key %q: %w", ns, c.name, k, errCorrupt)
		}
		out = append(out, storage.Entry{Key: k, Value: val, Version: v})
	}
	return out, nil
}

func keep(key, prefix, after string) bool {
	return strings.HasPrefix(key, prefix) && key > after
}

// readDirNames lists dir without sorting; a missing directory is empty.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
