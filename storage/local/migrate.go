package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// migrate moves values of the first, single-copy layout (<data>/meta/
// <namespace>/<key>) into the replicas, keeping their versions, and
// removes each old file once W replicas hold it. Open runs it under the
// open lock; a crash midway is finished by the next Open (copying again
// is harmless: a replica holding the same or a newer version is kept).
func (b *Backend) migrate() error {
	m := b.meta
	nss, err := readDirNames(m.dir)
	if err != nil {
		return fmt.Errorf("local: migrate: %w", err)
	}
	moved := 0
	for _, nsName := range nss {
		if nsName == "" || nsName[0] == '.' {
			continue
		}
		dir := filepath.Join(m.dir, nsName)
		files, err := readDirNames(dir)
		if err != nil {
			continue // not a directory
		}
		for _, name := range files {
			p := filepath.Join(dir, name)
			if strings.HasPrefix(name, ".") {
				os.Remove(p) // temporary file of a crashed write
				continue
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("local: migrate %s: %w", p, err)
			}
			rec, err := decodeRecord(raw)
			if err != nil {
				b.log.Error("local: migrate: skipping damaged value file", "file", p, "err", err)
				continue
			}
			rec.format = valueFormat
			img := encodeRecord(rec)
			ok := 0
			for _, o := range m.reps {
				c := readCopy(o, nsName, name, rec.key)
				if c.st == copyOK && c.rec.v >= rec.v {
					ok++
					continue
				}
				if writeCopy(o, nsName, name, rec.key, img, m.fsync) == nil {
					ok++
				}
			}
			if ok < m.w {
				return fmt.Errorf("local: migrate %s: %d copies written, need %d", p, ok, m.w)
			}
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("local: migrate: %w", err)
			}
			moved++
		}
		_ = os.Remove(dir)
	}
	if moved > 0 {
		b.log.Info("local: migrated metadata into OSD replicas", "values", moved)
	}
	return nil
}
