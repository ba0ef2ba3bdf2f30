package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/tasmaniancloud/rustfs/storage"
)

// MetaScrubResult counts what Meta.Scrub did.
type MetaScrubResult struct {
	// Checked is the number of keys (live or deleted) examined.
	Checked int
	// Repaired is the number of copies rewritten (missing, stale, corrupt).
	Repaired int
	// Unrecoverable is the number of keys with no valid copy left.
	Unrecoverable int
	// Dropped is the number of tombstones removed from every replica.
	Dropped int
	// Reindexed is the number of keys added to replicas' indexes (records
	// their index lacked).
	Reindexed int
	// Unindexed is the number of index entries removed (no live record).
	Unindexed int
}

// Scrub checks every copy of every key on every usable replica: it
// rewrites missing, stale and damaged copies from the winning one, and
// drops a tombstone once every replica is up and none holds an older
// live copy. It also reconciles each replica's index with its directory:
// names the directory has and the index lacks are added, and entries
// without a live record are pruned. It runs key by key under the keys'
// locks, so it may run while the store serves.
func (m *Meta) Scrub(ctx context.Context) (MetaScrubResult, error) {
	var res MetaScrubResult
	nss := map[string]bool{}
	for _, o := range m.reps {
		if !usable(o) {
			continue
		}
		ns, err := readDirNames(o.metaDir())
		if err != nil {
			o.check(err)
			continue
		}
		if o.idx != nil {
			// Namespaces whose directory is gone may linger in the index.
			if ins, err := o.idx.namespaces(); err == nil {
				ns = append(ns, ins...)
			}
		}
		for _, n := range ns {
			if n != "" && n[0] != '.' {
				nss[n] = true
			}
		}
	}
	sorted := make([]string, 0, len(nss))
	for n := range nss {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, nsName := range sorted {
		ns, ok := namespaceOf(nsName)
		if !ok {
			continue
		}
		keys, err := m.reconcile(ctx, nsName, &res)
		if err != nil {
			return res, err
		}
		for _, key := range keys {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			res.Checked++
			if err := m.scrubKey(ctx, ns, nsName, key, &res); err != nil {
				return res, fmt.Errorf("local: scrub %s/%q: %w", ns, key, err)
			}
		}
		for _, o := range m.reps {
			if usable(o) {
				// Only an empty directory goes; a writer re-creates it.
				_ = os.Remove(filepath.Join(o.metaDir(), nsName))
			}
		}
	}
	return res, nil
}

// reconcile reads namespace nsName on every usable replica, adds to each
// replica's index the keys its directory holds and its index lacks, and
// returns every key found in a directory or an index, sorted.
func (m *Meta) reconcile(ctx context.Context, nsName string, res *MetaScrubResult) ([]string, error) {
	all := map[string]bool{}
	for _, o := range m.reps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !usable(o) {
			continue
		}
		byName, err := dirKeys(o, nsName)
		if err != nil {
			if !errors.Is(err, syscall.ENOTDIR) {
				o.check(err)
			}
			continue
		}
		for _, k := range byName {
			all[k] = true
		}
		if o.idx == nil {
			continue
		}
		indexed, err := o.idx.all(nsName)
		if err != nil {
			m.log.Warn("local: meta scrub: index unreadable", "osd", o.id, "err", err)
			continue
		}
		in := make(map[string]bool, len(indexed))
		for _, k := range indexed {
			in[k] = true
			if k != "" && len(k) <= storage.MaxKeyLen {
				all[k] = true // pruned by scrubKey when it has no live record
			}
		}
		var missing []string
		for _, k := range byName {
			if !in[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if err := o.idx.add(nsName, missing); err != nil {
			m.log.Warn("local: meta scrub: index repair failed", "osd", o.id, "err", err)
			continue
		}
		res.Reindexed += len(missing)
		m.log.Info("local: meta scrub: keys added to index", "osd", o.id, "ns", nsName, "keys", len(missing))
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// namespaceOf recovers a namespace from its directory name, for logs;
// hash-named namespaces (longer than 200 escaped bytes) are logged under
// their file name. Locks are taken on file names, so both are safe.
func namespaceOf(nsName string) (string, bool) {
	if isHashName(nsName) {
		return nsName, true
	}
	return unescapeName(nsName)
}

// scrubKey repairs one key and drops its tombstone when every replica has it.
// Index entries of replicas holding no live record of a deleted or absent
// key are pruned.
func (m *Meta) scrubKey(ctx context.Context, ns, nsName, key string, res *MetaScrubResult) error {
	name := escapeName(key)
	unlock, err := m.locks.lock(ctx, stripeOf(nsName, name))
	if err != nil {
		return err
	}
	defer unlock()
	copies, win, qerr := m.quorumRead(nsName, name, key, true)
	if win < 0 {
		switch {
		case errors.Is(qerr, errCorrupt):
			res.Unrecoverable++
			m.log.Error("local: meta scrub: no valid copy", "ns", ns, "key", key)
		case qerr == nil:
			res.Unindexed += m.pruneIndex(nsName, key, copies)
		}
		return nil
	}
	if qerr != nil {
		// Too few replicas answered to know the latest version: repairing
		// from a minority could roll the key back.
		return nil
	}
	w := copies[win].rec
	img := encodeRecord(record{key: key, val: w.val, v: w.v, tomb: w.tomb, format: valueFormat})
	all := true
	for i, cp := range copies {
		if cp.st == copyUnavail {
			all = false
			continue
		}
		if !stale(cp, &w) {
			continue // current, or missing under a tombstone (cannot resurrect)
		}
		if err := writeCopy(m.reps[i], nsName, name, key, img, m.fsync); err != nil {
			all = false
			m.log.Warn("local: meta scrub: repair failed", "ns", ns, "key", key, "osd", m.reps[i].id, "err", err)
			continue
		}
		res.Repaired++
	}
	if w.tomb && all {
		for _, o := range m.reps {
			if err := removeCopy(o, nsName, name); err != nil {
				return err
			}
		}
		res.Dropped++
		for i := range copies {
			copies[i] = replicaCopy{st: copyMissing}
		}
	}
	if w.tomb {
		res.Unindexed += m.pruneIndex(nsName, key, copies)
	}
	return nil
}
