package local

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// The ordered key index of a metadata replica.
//
// Every replica keeps <osd>/meta/.index.db, a bbolt database holding one
// bucket per namespace (named by the namespace's directory name) whose
// keys are the raw keys of the namespace (byte order: S3 order) with empty
// values (a key's file name is always escapeName(key)). Listing seeks the
// index instead of reading a whole namespace directory, so a page costs
// O(page) plus the stale entries it meets.
//
// The record files stay the truth: the index only says which names to
// read. It is kept a superset of the replica's live keys: writeCopy inserts
// a key before it renames the key's file into place, and an entry is only
// removed under the key's write lock after a quorum read found no live
// record (List, opportunistically) or the file gone (Scrub, which also adds
// the entries a replica's directory has and its index lacks). A missing,
// unopenable or inconsistent index is rebuilt from the replica's directory
// (logged); while it cannot be used, listing reads that replica's
// directory instead, as before the index existed.
//
// Several processes may share a data directory, and bbolt holds an
// exclusive flock(2) on its file while open. So a process keeps the
// database open only while it uses it: the first user in a process takes
// <osd>/meta/.index.lock (flock, polled with a short back-off rather than
// bbolt's 50 ms retry), opens the database, and the last user closes it and
// releases the lock; concurrent users in one process share the handle.
// Read transactions are never held across record reads or writes (bbolt
// may deadlock a goroutine that holds a read transaction while it commits
// a write one), so a listing reads the index in chunks. A process that
// keeps an index busy without pause delays other processes' writers (up to
// indexLockWait, after which that replica's write fails and the quorum
// decides); that suits gateways sharing a directory for availability, not
// for throughput.
//
// A rebuild scans the directory twice (the second pass catches records
// renamed in during the first). A writer that inserted into an index being
// discarded as corrupt and renames its record after both passes is missed
// by that replica's index until the next Scrub; the key's other W-1
// replicas still list it.
const (
	indexFile      = ".index.db"
	indexBuildFile = ".index.db.build"
	indexLockFile  = ".index.lock"
	// indexLockWait bounds the wait for another process's use of an index.
	indexLockWait = 5 * time.Second
	// indexRetry is how long after a failed open or build acquire fails
	// fast.
	indexRetry = 10 * time.Second
	// indexBatch is how many keys a rebuild inserts per transaction.
	indexBatch = 10000
)

// errIndexCorrupt reports an index database that failed a consistency
// check or made bbolt panic.
var errIndexCorrupt = errors.New("local: meta index corrupt")

// metaIndex is one replica's index (see above).
type metaIndex struct {
	o     *OSD
	fsync bool
	log   *slog.Logger

	mu      sync.Mutex // guards the fields below
	db      *bolt.DB
	lock    *os.File
	users   int
	checked bool // this process checked the file's consistency
	bad     bool // corruption met: remove the file when users drop to 0
	// failed is when opening or building last failed: acquire fails fast
	// for indexRetry after it rather than rescanning the directory on
	// every use of a replica whose disk misbehaves.
	failed time.Time
}

func newMetaIndex(o *OSD, fsync bool, log *slog.Logger) *metaIndex {
	return &metaIndex{o: o, fsync: fsync, log: log}
}

func (x *metaIndex) path() string { return filepath.Join(x.o.metaDir(), indexFile) }

// acquire returns the open database, opening (and if need be building) it
// for the first user of this process. Every successful acquire must be
// followed by release.
func (x *metaIndex) acquire() (*bolt.DB, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.db != nil {
		x.users++
		return x.db, nil
	}
	if !x.failed.IsZero() && time.Since(x.failed) < indexRetry {
		return nil, fmt.Errorf("local: OSD %s: meta index unusable since %s: %w", x.o.id, x.failed.Format(time.RFC3339), storage.ErrUnavailable)
	}
	lf, err := lockFileWait(filepath.Join(x.o.metaDir(), indexLockFile), indexLockWait)
	if err != nil {
		return nil, fmt.Errorf("local: OSD %s: meta index: %w", x.o.id, x.o.check(err))
	}
	db, err := x.openLocked()
	if err != nil {
		lf.Close()
		x.failed = time.Now()
		return nil, fmt.Errorf("local: OSD %s: meta index: %w", x.o.id, err)
	}
	x.failed = time.Time{}
	x.db, x.lock, x.users = db, lf, 1
	return db, nil
}

// ensure opens the index once, building or rebuilding it as needed.
func (x *metaIndex) ensure() error {
	if _, err := x.acquire(); err != nil {
		return err
	}
	x.release()
	return nil
}

// release ends a use; the last one closes the database and releases the
// lock, first discarding a database found corrupt.
func (x *metaIndex) release() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.users--
	if x.users > 0 {
		return
	}
	if err := x.db.Close(); err != nil {
		x.log.Warn("local: closing meta index", "osd", x.o.id, "err", err)
	}
	if x.bad {
		// Removed under the lock: the next user rebuilds it.
		if err := os.Remove(x.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			x.log.Warn("local: removing corrupt meta index", "osd", x.o.id, "err", err)
		}
		x.bad, x.checked = false, false
	}
	x.lock.Close() // releases the flock
	x.db, x.lock = nil, nil
}

// condemn marks the database corrupt: it is removed once unused.
func (x *metaIndex) condemn(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.bad {
		x.log.Warn("local: meta index corrupt; it will be rebuilt", "osd", x.o.id, "err", err)
	}
	x.bad = true
}

func (x *metaIndex) openDB(path string) (*bolt.DB, error) {
	// The Timeout is a safeguard only: every opener holds indexLockFile,
	// so bbolt's own flock is free.
	return bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: !x.fsync, NoGrowSync: !x.fsync})
}

// openLocked opens the database under the lock: a missing one is built
// from the directory (migration, a replacement disk), an unopenable or
// inconsistent one rebuilt.
func (x *metaIndex) openLocked() (*bolt.DB, error) {
	path := x.path()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		x.log.Info("local: building meta index from the replica's directory", "osd", x.o.id)
		return x.rebuildLocked()
	} else if err != nil {
		return nil, x.o.check(err)
	}
	db, err := x.openDB(path)
	if err == nil && !x.checked {
		if err = checkDB(db); err != nil {
			db.Close()
		}
	}
	if err != nil {
		if fatalErr(err) || errors.Is(err, bolt.ErrTimeout) {
			return nil, x.o.check(err)
		}
		x.log.Warn("local: meta index unusable; rebuilding it from the replica's directory", "osd", x.o.id, "err", err)
		return x.rebuildLocked()
	}
	x.checked = true
	return db, nil
}

// checkDB runs bbolt's consistency check.
func checkDB(db *bolt.DB) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errIndexCorrupt, r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		var first error
		for e := range tx.Check() { // drained: the checker is a goroutine
			if first == nil {
				first = fmt.Errorf("%w: %w", errIndexCorrupt, e)
			}
		}
		return first
	})
}

// rebuildLocked builds a new database from the directory into a temporary
// file, renames it into place and opens it.
func (x *metaIndex) rebuildLocked() (*bolt.DB, error) {
	start := time.Now()
	tmp := filepath.Join(x.o.metaDir(), indexBuildFile)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, x.o.check(err)
	}
	db, err := x.openDB(tmp)
	if err != nil {
		return nil, x.o.check(fmt.Errorf("create: %w", err))
	}
	n, err := x.fill(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, x.path())
	}
	if err == nil && x.fsync {
		err = x.o.syncDirOf(x.o.metaDir())
	}
	if err != nil {
		os.Remove(tmp)
		return nil, x.o.check(fmt.Errorf("rebuild: %w", err))
	}
	if db, err = x.openDB(x.path()); err != nil {
		return nil, x.o.check(fmt.Errorf("open rebuilt index: %w", err))
	}
	// Records renamed in while the first pass ran.
	late, err := x.fill(db)
	if err != nil {
		db.Close()
		return nil, x.o.check(fmt.Errorf("rebuild: %w", err))
	}
	x.checked = true
	x.log.Info("local: meta index built", "osd", x.o.id, "keys", n+late, "took", time.Since(start).Round(time.Millisecond))
	return db, nil
}

// fill inserts every key of the replica's directory missing from db and
// returns how many it inserted.
func (x *metaIndex) fill(db *bolt.DB) (int, error) {
	nss, err := readDirNames(x.o.metaDir())
	if err != nil {
		return 0, err
	}
	sort.Strings(nss)
	added := 0
	for _, nsName := range nss {
		if nsName == "" || nsName[0] == '.' {
			continue
		}
		keys, err := dirKeys(x.o, nsName)
		if err != nil {
			if errors.Is(err, syscall.ENOTDIR) {
				continue
			}
			return added, err
		}
		sorted := make([]string, 0, len(keys))
		for _, k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for len(sorted) > 0 {
			batch := sorted[:min(len(sorted), indexBatch)]
			sorted = sorted[len(batch):]
			err := db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte(nsName))
				if err != nil {
					return err
				}
				c := b.Cursor()
				for _, k := range batch {
					if has(c, []byte(k)) {
						continue
					}
					if err := b.Put([]byte(k), nil); err != nil {
						return err
					}
					added++
				}
				return nil
			})
			if err != nil {
				return added, err
			}
		}
	}
	return added, nil
}

// dirKeys reads replica o's directory of namespace nsName and returns its
// records' keys by file name (skipping temporary and foreign files).
func dirKeys(o *OSD, nsName string) (map[string]string, error) {
	dir := filepath.Join(o.metaDir(), nsName)
	names, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		if key, ok := nameKey(o, dir, name); ok {
			out[name] = key
		}
	}
	return out, nil
}

// nameKey returns the key of file name in dir: unescaped, or read from a
// hash-named file.
func nameKey(o *OSD, dir, name string) (string, bool) {
	if strings.HasPrefix(name, ".") {
		return "", false
	}
	if !isHashName(name) {
		return unescapeName(name)
	}
	rec, err := readRecordFile(o, filepath.Join(dir, name))
	if err != nil || rec.key == "" || escapeName(rec.key) != name {
		return "", false
	}
	return rec.key, true
}

// has reports whether key is in c's bucket.
func has(c *bolt.Cursor, key []byte) bool {
	k, _ := c.Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// do runs fn in a transaction, turning a bbolt panic (a damaged page) into
// an error and condemning the database.
func (x *metaIndex) do(write bool, fn func(*bolt.Tx) error) (err error) {
	db, err := x.acquire()
	if err != nil {
		return err
	}
	defer x.release()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errIndexCorrupt, r)
			x.condemn(err)
		}
	}()
	if write {
		err = db.Update(fn)
	} else {
		err = db.View(fn)
	}
	if err != nil {
		return fmt.Errorf("local: OSD %s: meta index: %w", x.o.id, x.o.check(err))
	}
	return nil
}

// insert adds key to namespace nsName (a no-op write-free check when it is
// there already, the common case of an overwrite).
func (x *metaIndex) insert(nsName, key string) error {
	db, err := x.acquire()
	if err != nil {
		return err
	}
	defer x.release()
	return x.insertIn(db, nsName, key)
}

func (x *metaIndex) insertIn(db *bolt.DB, nsName, key string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errIndexCorrupt, r)
			x.condemn(err)
		}
	}()
	k := []byte(key)
	found := false
	err = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(nsName)); b != nil {
			found = has(b.Cursor(), k)
		}
		return nil
	})
	if err != nil || found {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(nsName))
		if err != nil {
			return err
		}
		return b.Put(k, nil)
	})
	if err != nil {
		return fmt.Errorf("local: OSD %s: meta index insert: %w", x.o.id, x.o.check(err))
	}
	return nil
}

// remove deletes keys from namespace nsName, and the namespace's bucket
// once empty. Callers hold the keys' write locks and know their files
// are gone (or tombstones).
func (x *metaIndex) remove(nsName string, keys ...string) error {
	return x.do(true, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(nsName))
		if b == nil {
			return nil
		}
		for _, k := range keys {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		if k, _ := b.Cursor().First(); k == nil {
			return tx.DeleteBucket([]byte(nsName))
		}
		return nil
	})
}

// scan returns up to n keys of namespace nsName from from on (after it
// when !incl), in order.
func (x *metaIndex) scan(nsName, from string, incl bool, n int) ([]string, error) {
	var out []string
	err := x.do(false, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(nsName))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, _ := c.Seek([]byte(from))
		if k != nil && !incl && string(k) == from {
			k, _ = c.Next()
		}
		for ; k != nil && len(out) < n; k, _ = c.Next() {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}

// namespaces returns the namespaces (directory names) the index knows.
func (x *metaIndex) namespaces() ([]string, error) {
	var out []string
	err := x.do(false, func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			out = append(out, string(name))
			return nil
		})
	})
	return out, err
}

// all returns every key of namespace nsName (Scrub).
func (x *metaIndex) all(nsName string) ([]string, error) {
	return x.scan(nsName, "", true, int(^uint(0)>>1))
}

// add inserts keys into namespace nsName (Scrub's reconciliation).
func (x *metaIndex) add(nsName string, keys []string) error {
	return x.do(true, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(nsName))
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Put([]byte(k), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// dropIndex removes replica o's index files, under the index lock so no
// indexed user in another process is mid-rebuild (Options.NoIndex). A
// missing index is the common case and costs one stat.
func dropIndex(o *OSD) error {
	dir := o.metaDir()
	_, err1 := os.Lstat(filepath.Join(dir, indexFile))
	_, err2 := os.Lstat(filepath.Join(dir, indexBuildFile))
	if errors.Is(err1, fs.ErrNotExist) && errors.Is(err2, fs.ErrNotExist) {
		return nil
	}
	lf, err := lockFileWait(filepath.Join(dir, indexLockFile), indexLockWait)
	if err != nil {
		return fmt.Errorf("local: OSD %s: meta index: %w", o.id, o.check(err))
	}
	defer lf.Close()
	for _, name := range []string{indexFile, indexBuildFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local: OSD %s: remove meta index: %w", o.id, o.check(err))
		}
	}
	return nil
}

// lockFileWait opens (creating) path and takes an exclusive flock on it,
// polling with a growing back-off for at most wait. Closing the file
// releases the lock.
func lockFileWait(path string, wait time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	pause := 20 * time.Microsecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: held by another process for %v: %w", path, wait, storage.ErrUnavailable)
		}
		time.Sleep(pause)
		pause = min(2*pause, 2*time.Millisecond)
	}
}
