package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

var _ storage.Walker = (*OSD)(nil)

// SweepTemp removes temporary files (unfinished shards in every OSD's tmp
// directory, unfinished metadata values in every replica) last modified
// before cutoff, and reports how many files and bytes it removed. Writers
// in other processes may share the directories, so cutoff must be far
// older than any write in flight (hours, not seconds). OSDs that are down
// are skipped.
func (b *Backend) SweepTemp(ctx context.Context, cutoff time.Time) (files int, bytes int64, err error) {
	sweep := func(dir string, match func(string) bool) error {
		names, err := readDirNames(dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !match(n) {
				continue
			}
			p := filepath.Join(dir, n)
			info, err := os.Lstat(p)
			if err != nil || !info.Mode().IsRegular() || !info.ModTime().Before(cutoff) {
				continue
			}
			if os.Remove(p) == nil {
				files++
				bytes += info.Size()
			}
		}
		return nil
	}
	all := func(string) bool { return true }
	isTemp := func(n string) bool { return strings.HasPrefix(n, tmpPrefix) }
	for _, o := range b.osds {
		if !usable(o) {
			continue
		}
		if err := sweep(o.tmpDir(), all); err != nil {
			return files, bytes, fmt.Errorf("local: sweep %s: %w", o.id, err)
		}
		nss, err := readDirNames(o.metaDir())
		if err != nil {
			return files, bytes, fmt.Errorf("local: sweep %s meta: %w", o.id, err)
		}
		for _, ns := range nss {
			if ns == "" || ns[0] == '.' {
				continue
			}
			if err := sweep(filepath.Join(o.metaDir(), ns), isTemp); err != nil {
				if ctx.Err() != nil {
					return files, bytes, ctx.Err()
				}
				continue // not a directory, or removed meanwhile
			}
		}
	}
	return files, bytes, nil
}

// Walk calls fn for every committed shard of the OSD (its name, size and
// modification time) until fn returns an error, which Walk returns. Shards
// committed or removed during the walk may or may not be seen.
func (o *OSD) Walk(ctx context.Context, fn func(name string, size int64, modified time.Time) error) error {
	if !o.identified.Load() {
		return o.unavailable()
	}
	fans, err := readDirNames(o.shardsDir())
	if err != nil {
		return fmt.Errorf("local: OSD %s: walk: %w", o.id, o.check(err))
	}
	for _, fan := range fans {
		dir := filepath.Join(o.shardsDir(), fan)
		ents, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
				continue
			}
			return fmt.Errorf("local: OSD %s: walk %s: %w", o.id, fan, o.check(err))
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !e.Type().IsRegular() || !validName(e.Name()) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			if err := fn(e.Name(), info.Size(), info.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}
