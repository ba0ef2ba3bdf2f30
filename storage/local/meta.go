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
// CRC; a bad or stale copy met by a read is rewritten (read-repair) unless
// a writer holds the key's lock, and Scrub checks every copy. Deletes
// write tombstones, so a replica that missed a delete cannot resurrect the
// key; Scrub drops a tombstone once every replica holds it.
//
// Writes lock a stripe of (namespace, key) with flock under <data>/meta/
// .locks, so several gateway processes may share the directories and
// conditional writes stay atomic. Reads take no key lock and never wait
// for one: the writes a read would make on the side (read-repair, List's
// index pruning) only try the lock and are skipped while it is held.
//
// Listing seeks the ordered key indexes (index.go) of R replicas and
// merges them, so a page costs O(page) quorum reads plus the stale
// entries met (which it prunes); a replica whose index is unusable, or
// every replica with Options.NoIndex, is listed from its directory
// instead, at O(keys in the namespace).
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

// newMeta prepares dir (and its lock directory) for replicas reps, with
// their ordered key indexes when index is set.
func newMeta(dir string, reps []*OSD, fsync, index bool, log *slog.Logger) (*Meta, error) {
	locks := filepath.Join(dir, ".locks")
	if err := os.MkdirAll(locks, 0o700); err != nil {
		return nil, fmt.Errorf("local: meta dir: %w", err)
	}
	w, r := quorums(len(reps))
	for _, o := range reps {
		if index {
			o.idx = newMetaIndex(o, fsync, log)
		}
	}
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
// winner, and returns how many copies it rewrote. It never waits for the
// lock: while the key's stripe is held it repairs nothing and reports
// busy.
//
// It cannot roll a key back: every writer of a key's copies while the
// store serves (Put, Delete, Scrub, repair) holds its lock, and repair reads every copy again under it, so
// the winner it writes is the highest version on any replica now, at
// least the last acknowledged write (which is on W replicas, and fewer
// than R answers repair nothing); only copies older than that winner, or
// damaged, are rewritten.
func (m *Meta) repair(ctx context.Context, nsName, name, key string) (n int, busy bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	unlock, ok, err := m.locks.tryLock(stripeOf(nsName, name))
	if err != nil || !ok {
		return 0, !ok && err == nil, err
	}
	defer unlock()
	copies, win, err := m.quorumRead(nsName, name, key, true)
	if err != nil || win < 0 {
		return 0, false, err
	}
	w := copies[win].rec
	img := encodeRecord(record{key: key, val: w.val, v: w.v, tomb: w.tomb, format: valueFormat})
	var errs []error
	for i, c := range copies {
		if !stale(c, &w) {
			continue
		}
		if err := writeCopy(m.reps[i], nsName, name, key, img, m.fsync); err != nil {
			errs = append(errs, fmt.Errorf("OSD %s: %w", m.reps[i].id, err))
			continue
		}
		n++
	}
	return n, false, errors.Join(errs...)
}

// readRepair repairs key after a read found stale copies, unless the key's
// lock stripe is held. Then a writer is at work, most often on this very
// key, whose half-done write is what the read took for stale copies: the
// read neither waits for it nor rewrites copies under it, and answers with
// what its own quorum read decided. Skipping writes nothing, so it cannot
// lose or roll back a write; what is still stale once the writer is done
// (a copy it failed to write, or a key that only shared its stripe), the
// next read or Scrub repairs. Failures also only leave work for Scrub, so
// they are logged, not returned.
func (m *Meta) readRepair(ctx context.Context, ns, nsName, name, key string) {
	n, busy, err := m.repair(ctx, nsName, name, key)
	if busy {
		m.log.Debug("local: meta read-repair skipped: key busy", "ns", ns, "key", key)
	}
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
func (m *Meta) writeAll(nsName, name, key string, img []byte) error {
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
			errs[i] = writeCopy(o, nsName, name, key, img, m.fsync)
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
	if err := m.writeAll(nsName, name, key, encodeValue(key, val, v)); err != nil {
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
	if err := m.writeAll(nsName, name, key, encodeTombstone(key, m.nextVersion(old))); err != nil {
		return fmt.Errorf("local: delete %s/%q: %w", ns, key, err)
	}
	return nil
}

// List returns up to limit entries of ns with keys starting with prefix and
// sorting strictly after after, in byte order. limit ≤ 0 returns nothing.
// The indexes of R replicas are merged (a live key is on W replicas, so
// in at least one of their indexes) and each candidate is read with a
// quorum read, in order, until the page is full: deleted keys (tombstones)
// and index entries with no record are skipped and pruned from the
// indexes, and keys whose every copy is damaged are skipped (logged), so
// one unreadable record never breaks a listing.
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
	srcs, err := m.sources(nsName, prefix, after, limit)
	if err != nil {
		return nil, fmt.Errorf("local: list %s: %w", ns, err)
	}
	var out []storage.Entry
	for len(out) < limit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		key, ok := nextKey(srcs)
		if !ok || !strings.HasPrefix(key, prefix) {
			// Keys with the prefix are contiguous and every source starts
			// at or after it: the first one without it ends the listing.
			break
		}
		if key == "" || len(key) > storage.MaxKeyLen || key <= after {
			continue // a damaged index entry
		}
		name := escapeName(key)
		rec, err := m.get(ctx, ns, nsName, name, key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			m.pruneStale(ctx, ns, nsName, name, key)
			continue
		case errors.Is(err, errCorrupt):
			m.log.Warn("local: list skips unrecoverable metadata", "ns", ns, "key", key, "err", err)
			continue
		case err != nil:
			return nil, fmt.Errorf("local: list %s: %q: %w", ns, key, err)
		}
		out = append(out, storage.Entry{Key: key, Value: rec.val, Version: rec.v})
	}
	return out, nil
}

// listSource yields one replica's keys of a namespace in order: from its
// index a chunk at a time, or (index unusable) from its directory.
type listSource struct {
	o      *OSD
	nsName string
	prefix string
	buf    []string
	pos    int
	next   string // where the next chunk starts
	incl   bool   // whether next itself may be returned
	chunk  int
	done   bool // buf holds everything left
}

// sources opens the listings of replicas until R complete ones (a
// refilling replica's listing counts for names only), positioned at the
// first key ≥ prefix and > after. With fewer than R it fails with an error
// wrapping ErrUnavailable.
func (m *Meta) sources(nsName, prefix, after string, limit int) ([]*listSource, error) {
	from, incl := after, false
	if prefix > after {
		from, incl = prefix, true
	}
	var srcs []*listSource
	complete := 0
	for _, o := range m.reps {
		if complete >= m.r {
			break
		}
		if !usable(o) {
			continue
		}
		s := &listSource{o: o, nsName: nsName, prefix: prefix, next: from, incl: incl,
			chunk: min(max(limit+limit/4+1, 16), 1024)}
		if err := s.fill(); err != nil {
			o.check(err)
			continue
		}
		srcs = append(srcs, s)
		if !o.filling.Load() {
			complete++
		}
	}
	if complete < m.r {
		return nil, fmt.Errorf("%d of %d replicas listed, need %d: %w", complete, len(m.reps), m.r, storage.ErrUnavailable)
	}
	return srcs, nil
}

// fill loads the source's next chunk, reading the directory when the
// index fails.
func (s *listSource) fill() error {
	s.buf, s.pos = s.buf[:0], 0
	if s.o.idx != nil {
		keys, err := s.o.idx.scan(s.nsName, s.next, s.incl, s.chunk)
		if err == nil {
			s.buf = keys
			s.done = len(keys) < s.chunk
			if n := len(keys); n > 0 {
				s.next, s.incl = keys[n-1], false
				if !strings.HasPrefix(keys[n-1], s.prefix) {
					s.done = true // nothing further can match
				}
			}
			s.chunk = min(2*s.chunk, 8192)
			return nil
		}
	}
	// No index: the replica's whole directory, sorted.
	byName, err := dirKeys(s.o, s.nsName)
	if err != nil {
		return fmt.Errorf("OSD %s: %w", s.o.id, err)
	}
	s.buf = s.buf[:0]
	for _, k := range byName {
		if strings.HasPrefix(k, s.prefix) && (k > s.next || s.incl && k == s.next) {
			s.buf = append(s.buf, k)
		}
	}
	sort.Strings(s.buf)
	s.done = true
	return nil
}

// peek returns the source's next key.
func (s *listSource) peek() (string, bool) {
	for s.pos == len(s.buf) {
		if s.done {
			return "", false
		}
		if err := s.fill(); err != nil {
			// The directory failed after the index did: the replica is
			// gone, and the other sources still hold every live key.
			s.o.check(err)
			s.buf, s.pos, s.done = nil, 0, true
		}
	}
	return s.buf[s.pos], true
}

// nextKey pops the smallest key of all sources (once, however many hold
// it).
func nextKey(srcs []*listSource) (string, bool) {
	best, ok := "", false
	for _, s := range srcs {
		if k, has := s.peek(); has && (!ok || k < best) {
			best, ok = k, true
		}
	}
	if !ok {
		return "", false
	}
	for _, s := range srcs {
		if k, has := s.peek(); has && k == best {
			s.pos++
		}
	}
	return best, true
}

// pruneStale removes key from the indexes of the replicas that hold no
// live record of it, after List found it deleted or absent. It re-reads
// the key under its write lock, so a concurrent Put (which inserts into the
// indexes before writing) cannot lose its entry. Like read-repair it never
// waits for that lock: while the key's stripe is held (a Put or Delete of
// the key in progress, most often) it prunes nothing, which only leaves an
// entry the index may keep anyway (it is a superset). Failures and skips
// only leave work for the next List or Scrub.
func (m *Meta) pruneStale(ctx context.Context, ns, nsName, name, key string) {
	if ctx.Err() != nil {
		return
	}
	unlock, ok, err := m.locks.tryLock(stripeOf(nsName, name))
	if err != nil || !ok {
		return
	}
	defer unlock()
	copies, win, err := m.quorumRead(nsName, name, key, true)
	if err != nil || win >= 0 && !copies[win].rec.tomb {
		return
	}
	if n := m.pruneIndex(nsName, key, copies); n > 0 {
		m.log.Debug("local: meta index entries pruned", "ns", ns, "key", key, "replicas", n)
	}
}

// pruneIndex removes key from the index of every usable replica whose copy
// is missing or a tombstone, and returns how many it changed. The caller
// holds the key's lock and has found no live winner in copies.
func (m *Meta) pruneIndex(nsName, key string, copies []replicaCopy) int {
	n := 0
	for i, o := range m.reps {
		c := copies[i]
		if o.idx == nil || !usable(o) || !(c.st == copyMissing || c.st == copyOK && c.rec.tomb) {
			continue
		}
		if err := o.idx.remove(nsName, key); err != nil {
			m.log.Warn("local: meta index prune failed", "osd", o.id, "key", key, "err", err)
			continue
		}
		n++
	}
	return n
}

// readDirNames lists dir without sorting; a missing directory is empty.
func readDirNames(dir string) ([]string, error) {
	if testHookReadDir != nil {
		testHookReadDir(dir)
	}
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

// testHookReadDir, when set (tests only), sees every directory listing.
var testHookReadDir func(dir string)
