package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

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
}

// Scrub checks every copy of every key on every usable replica: it
// rewrites missing, stale and damaged copies from the winning one, and
// drops a tombstone once every replica is up and none holds an older
// live copy. It runs
// key by key under the keys' locks, so it may run while the store serves.
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
		cands, err := m.candidates(ctx, nsName, "", "", len(m.reps))
		if err != nil && !errors.Is(err, storage.ErrUnavailable) {
			return res, err
		}
		for _, c := range cands {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			res.Checked++
			if err := m.scrubKey(ctx, ns, nsName, c, &res); err != nil {
				return res, fmt.Errorf("local: scrub %s/%q: %w", ns, c.key, err)
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
func (m *Meta) scrubKey(ctx context.Context, ns, nsName string, c listed, res *MetaScrubResult) error {
	unlock, err := m.locks.lock(ctx, stripeOf(nsName, c.name))
	if err != nil {
		return err
	}
	defer unlock()
	copies, win, qerr := m.quorumRead(nsName, c.name, c.key, true)
	if win < 0 {
		if errors.Is(qerr, errCorrupt) {
			res.Unrecoverable++
			m.log.Error("local: meta scrub: no valid copy", "ns", ns, "key", c.key)
		}
		return nil
	}
	if qerr != nil {
		// Too few replicas answered to know the latest version: repairing
		// from a minority could roll the key back.
		return nil
	}
	w := copies[win].rec
	img := encodeRecord(record{key: c.key, val: w.val, v: w.v, tomb: w.tomb, format: valueFormat})
	all := true
	for i, cp := range copies {
		if cp.st == copyUnavail {
			all = false
			continue
		}
		if !stale(cp, &w) {
			continue // current, or missing under a tombstone (cannot resurrect)
		}
		if err := writeCopy(m.reps[i], nsName, c.name, img, m.fsync); err != nil {
			all = false
			m.log.Warn("local: meta scrub: repair failed", "ns", ns, "key", c.key, "osd", m.reps[i].id, "err", err)
			continue
		}
		res.Repaired++
	}
	if w.tomb && all {
		for _, o := range m.reps {
			if err := removeCopy(o, nsName, c.name); err != nil {
				return err
			}
		}
		res.Dropped++
	}
	return nil
}
