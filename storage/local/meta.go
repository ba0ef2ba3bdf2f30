package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Meta is the replicated, file-based metadata store. Every value is kept in
// each OSD directory (<osd>/meta/<namespace>/<key>, one file per key,
// replaced atomically by rename), so the metadata survives what the data
// survives. A write reaches at least W = max(n/2+1, n-2) replicas and a
// read consults at least R = n-W+1, so every read overlaps the last
// acknowledged write; the highest valid version wins. Every copy carries a
// CRC; a bad or stale copy met by a read is rewritten (read-repair), and
// Scrub checks every copy. Deletes write tombstones, so a replica that
// missed a delete cannot resurrect the key; Scrub drops a tombstone once
// every replica holds it.
//
// Writes lock a stripe of (namespace, key) with flock under <data>/meta/
// .locks, so several gateway processes may share the directories and
// conditional writes stay atomic.
//
// Listing reads the namespace directories of R replicas and merges them:
// O(n) per page in the number of keys of the namespace. That suits the
// embedded backend; the RADOS backend keeps a sharded, ordered index.
type Meta struct {
	dir   string // <data>/meta: locks only
	reps  []*OSD
	w, r  int
	fsync bool
	locks *stripeLocks
	now   func() time.Time
	log   *slog.Logger
}

var _ storage.Meta = (*Meta)(nil)

// tmpPrefix starts temporary value files; listing skips them and
// Backend.SweepTemp removes stale ones.
const tmpPrefix = ".tmp-"

// quorums returns W and R for n replicas: W tolerates the loss of two
// replicas once n ≥ 6 (and a minority below), and W+R = n+1.
func quorums(n int) (w, r int) {
	w = max(n/2+1, n-2)
	return w, n - w + 1
}

// newMeta prepares dir (and its lock directory) for replicas reps.
func newMeta(dir string, reps []*OSD, fsync bool, log *slog.Logger) (*Meta, error) {
	locks := filepath.Join(dir, ".locks")
	if err := os.MkdirAll(locks, 0o700); err != nil {
		return nil, fmt.Errorf("local: meta dir: %w", err)
	}
	w, r := quorums(len(reps))
	return &Meta{dir: dir, reps: reps, w: w, r: r, fsync: fsync, locks: newStripeLocks(locks), now: time.Now, log: log}, nil
}

// Dir is <data>/meta, which holds the lock files (coordination only: the
// values live in the OSD directories, <osd>/meta/<escaped namespace>/
// <escaped key>, hash-named ("~" + SHA-256) when an escaped name would be
// too long). Names starting with '.' are internal.
func (m *Meta) Dir() string { return m.dir }

// Quorums returns the write and read quorums W and R.
func (m *Meta) Quorums() (w, r int) { return m.w, m.r }

// names validates (ns, key) and returns their file names.
func names(ns, key string) (nsName, name string, err error) {
	if ns == "" || len(ns) > storage.MaxKeyLen {
		return "", "", fmt.Errorf("local: meta: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	if key == "" || len(key) > storage.MaxKeyLen {
		return "", "", fmt.Errorf("local: meta: key of %d bytes: %w", len(key), storage.ErrInvalid)
	}
	return escapeName(ns), escapeName(key), nil
}

// quorumRead reads the copies of key. Unless all is set it stops once R
// valid answers agree. It returns the copies (unread ones copyUnavail) and
// the index of the winning copy (-1: the key never existed), or an error
// when fewer than R replicas answered validly. A replica being refilled
// after replacement answers validly only when it holds a copy.
func (m *Meta) quorumRead(nsName, name, key string, all bool) ([]replicaCopy, int, error) {
	copies := make([]replicaCopy, len(m.reps))
	win, valid, corrupt := -1, 0, 0
	agree := true
	var first replicaCopy
	for i, o := range m.reps {
		if !all && agree && corrupt == 0 && valid >= m.r {
			break
		}
		c := readCopy(o, nsName, name, key)
		copies[i] = c
		switch {
		case c.st == copyCorrupt:
			corrupt++
			continue
		case c.st == copyUnavail, c.st == copyMissing && o.filling.Load():
			continue
		}
		if valid == 0 {
			first = c
		} else if c.st != first.st || c.rec.v != first.rec.v {
			agree = false
		}
		valid++
		if c.st == copyOK && (win < 0 || c.rec.v > copies[win].rec.v) {
			win = i
		}
	}
	if valid < m.r {
		if corrupt > 0 && win < 0 {
			return copies, -1, fmt.Errorf("%w: %d corrupt copies, %d valid, need %d", errCorrupt, corrupt, valid, m.r)
		}
		return copies, -1, fmt.Errorf("%d of %d replicas answered, need %d: %w", valid, len(m.reps), m.r, storage.ErrUnavailable)
	}
	return copies, win, nil
}

// stale reports whether copy c needs rewriting to match the winner.
func stale(c replicaCopy, winner *record) bool {
	switch c.st {
	case copyCorrupt:
		return true
	case copyMissing:
		return winner != nil && !winner.tomb
	case copyOK:
		return winner != nil && c.rec.v < winner.v
	}
	return false
}

func needsRepair(copies []replicaCopy, win int) bool {
	var w *record
	if win >= 0 {
		w = &copies[win].rec
	}
	for _, c := range copies {
		if stale(c, w) {
			return true
		}
	}
	return false
}

// repair rewrites, under the key's lock, every stale copy of key from the
// winner, and returns how many copies it rewrote.
func (m *Meta) repair(ctx context.Context, ns, nsName, name, key string) (int, error) {
	unlock, err := m.locks.lock(ctx, stripeOf(nsName, name))
	if err != nil {
		return 0, err
	}
	defer unlock()
	copies, win, err := m.quorumRead(nsName, name, key, true)
	if err != nil || win < 0 {
		return 0, err
	}
	w := copies[win].rec
	img := encodeRecord(record{key: key, val: w.val, v: w.v, tomb: w.tomb, format: valueFormat})
	n := 0
	var errs []error
	for i, c := range copies {
		if !stale(c, &w) {
			continue
		}
		if err := writeCopy(m.reps[i], nsName, name, img, m.fsync); err != nil {
			errs = append(errs, fmt.Errorf("OSD %s: %w", m.reps[i].id, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// readRepair repairs key after a read found stale copies; failures only
// leave work for Scrub, so they are logged, not returned.
func (m *Meta) readRepair(ctx context.Context, ns, nsName, name, key string) {
	n, err := m.repair(ctx, ns, nsName, name, key)
	if n > 0 {
		m.log.Info("local: meta read-repair", "ns", ns, "key", key, "copies", n)
	}
	if err != nil && ctx.Err() == nil {
		m.log.Warn("local: meta read-repair failed", "ns", ns, "key", key, "err", err)
	}
}

// get is Get without argument checks: the winning live record.
func (m *Meta) get(ctx context.Context, ns, nsName, name, key string) (record, error) {
	copies, win, err := m.quorumRead(nsName, name, key, false)
	if err != nil {
		return record{}, err
	}
	if needsRepair(copies, win) {
		// Read everything so the answer does not depend on which replicas
		// came first, then heal.
		if copies, win, err = m.quorumRead(nsName, name, key, true); err != nil {
			return record{}, err
		}
		m.readRepair(ctx, ns, nsName, name, key)
	}
	if win < 0 || copies[win].rec.tomb {
		return record{}, storage.ErrNotFound
	}
	return copies[win].rec, nil
}

// Get returns the value stored under key and its version.
func (m *Meta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	nsName, name, err := names(ns, key)
	if err != nil {
		return nil, 0, err
	}
	rec, err := m.get(ctx, ns, nsName, name, key)
	if err != nil {
		return nil, 0, fmt.Errorf("local: get %s/%q: %w", ns, key, err)
	}
	return rec.val, rec.v, nil
}

// writeAll writes img to every usable replica in parallel and fails unless
// at least W copies were written.
func (m *Meta) writeAll(nsName, name string, img []byte) error {
	errs := make([]error, len(m.reps))
	var wg sync.WaitGroup
	for i, o := range m.reps {
		if !usable(o) {
			errs[i] = fmt.Errorf("OSD %s down", o.id)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = writeCopy(o, nsName, name, img, m.fsync)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok < m.w {
		return fmt.Errorf("wrote %d of %d copies, need %d: %w (%w)", ok, len(m.reps), m.w, storage.ErrUnavailable, errors.Join(errs...))
	}
	return nil
}

// current reads key's state under its lock: the winning record (nil when
// absent) and whether the read reached quorum.
func (m *Meta) current(nsName, name, key string) (*record, error) {
	copies, win, err := m.quorumRead(nsName, name, key, false)
	if win >= 0 {
		return &copies[win].rec, err
	}
	return nil, err
}

// nextVersion is max(previous+1, wall clock in ns): strictly increasing
// per key and, since tombstones keep the last version, never reused after a
// delete and re-create, so a stale IfVersion cannot match a new
// incarnation of the key.
func (m *Meta) nextVersion(old *record) storage.Version {
	v := storage.Version(max(m.now().UnixNano(), 0))
	if old != nil && v <= old.v {
		v = old.v + 1
	}
	return v
}

// Put stores val under key, honouring cond.
func (m *Meta) Put(ctx context.Context, ns, key string, val []byte, cond storage.Cond) (storage.Version, error) {
	nsName, name, err := names(ns, key)
	if err != nil {
		return 0, err
	}
	if len(val) > storage.MaxValueLen {
		return 0, fmt.Errorf("local: put %s/%q: value of %d bytes: %w", ns, key, len(val), storage.ErrInvalid)
	}
	unlock, err := m.locks.lock(ctx, stripeOf(nsName, name))
	if err != nil {
		return 0, err
	}
	defer unlock()

	old, err := m.current(nsName, name, key)
	if err != nil && (cond.IfAbsent || cond.IfVersion != 0 || errors.Is(err, storage.ErrUnavailable)) {
		// An unconditional Put over copies that are all damaged repairs the
		// key; anything else needs to know the current state.
		return 0, fmt.Errorf("local: put %s/%q: %w", ns, key, err)
	}
	live := old != nil && !old.tomb
	if cond.IfAbsent && live {
		return 0, fmt.Errorf("local: put %s/%q: key exists: %w", ns, key, storage.ErrPrecondition)
	}
	if cond.IfVersion != 0 && (!live || old.v != cond.IfVersion) {
		var have storage.Version
		if live {
			have = old.v
		}
		return 0, fmt.Errorf("local: put %s/%q: version %d, want %d: %w", ns, key, have, cond.IfVersion, storage.ErrPrecondition)
	}
	v := m.nextVersion(old)
	if err := m.writeAll(nsName, name, encodeValue(key, val, v)); err != nil {
		return 0, fmt.Errorf("local: put %s/%q: %w", ns, key, err)
	}
	return v, nil
}

// Delete removes key, honouring cond.IfVersion, by writing a tombstone.
func (m *Meta) Delete(ctx context.Context, ns, key string, cond storage.Cond) error {
	nsName, name, err := names(ns, key)
	if err != nil {
		return err
	}
	unlock, err := m.locks.lock(ctx, stripeOf(nsName, name))
	if err != nil {
		return err
	}
	defer unlock()
	old, err := m.current(nsName, name, key)
	switch {
	case err != nil && (cond.IfVersion != 0 || errors.Is(err, storage.ErrUnavailable)):
		return fmt.Errorf("local: delete %s/%q: %w", ns, key, err)
	case err == nil && (old == nil || old.tomb):
		return fmt.Errorf("local: delete %s/%q: %w", ns, key, storage.ErrNotFound)
	case cond.IfVersion != 0 && old.v != cond.IfVersion:
		return fmt.Errorf("local: delete %s/%q: version %d, want %d: %w", ns, key, old.v, cond.IfVersion, storage.ErrPrecondition)
	}
	// err != nil here means every copy is damaged: deleting such a key is
	// exactly what an operator needs to do.
	if err := m.writeAll(nsName, name, encodeTombstone(key, m.nextVersion(old))); err != nil {
		return fmt.Errorf("local: delete %s/%q: %w", ns, key, err)
	}
	return nil
}

// listed is one candidate of a listing.
type listed struct{ key, name string }

// List returns up to limit entries of ns with keys starting with prefix and
// sorting strictly after after, in byte order. limit ≤ 0 returns nothing.
// The names of R replicas are merged (a live key is on W replicas, so on
// at least one of them) and each candidate is read with a quorum read:
// deleted keys (tombstones) are skipped, as are keys whose every copy is
// damaged (logged), so one unreadable record never breaks a listing.
func (m *Meta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	if ns == "" || len(ns) > storage.MaxKeyLen {
		return nil, fmt.Errorf("local: meta: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	nsName := escapeName(ns)
	cands, err := m.candidates(ctx, nsName, prefix, after, m.r)
	if err != nil {
		return nil, fmt.Errorf("local: list %s: %w", ns, err)
	}
	out := make([]storage.Entry, 0, min(limit, len(cands)))
	for _, c := range cands {
		if len(out) == limit {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := m.get(ctx, ns, nsName, c.name, c.key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			continue
		case errors.Is(err, errCorrupt):
			m.log.Warn("local: list skips unrecoverable metadata", "ns", ns, "key", c.key, "err", err)
			continue
		case err != nil:
			return nil, fmt.Errorf("local: list %s: %q: %w", ns, c.key, err)
		}
		out = append(out, storage.Entry{Key: c.key, Value: rec.val, Version: rec.v})
	}
	return out, nil
}

// candidates merges the namespace listings of replicas until want
// complete ones (a refilling replica's listing counts for names only) and
// returns the keys passing the filter, sorted. With fewer complete
// listings than want it also returns an error wrapping ErrUnavailable.
func (m *Meta) candidates(ctx context.Context, nsName, prefix, after string, want int) ([]listed, error) {
	seen := map[string]bool{}
	var cands []listed
	complete := 0
	for _, o := range m.reps {
		if complete >= want {
			break
		}
		if !usable(o) {
			continue
		}
		dir := filepath.Join(o.metaDir(), nsName)
		ns, err := readDirNames(dir)
		if err != nil {
			o.check(err)
			continue
		}
		if !o.filling.Load() {
			complete++
		}
		for _, name := range ns {
			if seen[name] {
				continue
			}
			seen[name] = true
			key, ok := "", false
			if isHashName(name) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if rec, err := readRecordFile(o, filepath.Join(dir, name)); err == nil {
					key, ok = rec.key, true
				}
			} else {
				key, ok = unescapeName(name)
			}
			if ok && keep(key, prefix, after) {
				cands = append(cands, listed{key: key, name: name})
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].key < cands[j].key })
	if complete < want {
		return cands, fmt.Errorf("%d of %d replicas listed, need %d: %w", complete, len(m.reps), want, storage.ErrUnavailable)
	}
	return cands, nil
}

func keep(key, prefix, after string) bool {
	return strings.HasPrefix(key, prefix) && key > after
}

// readDirNames lists dir without sorting; a missing directory is empty.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
