//go:build ceph

package rados

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

var _ storage.Walker = (*OSD)(nil)

// Walk calls fn for every committed shard of the slot (name, size and the
// modification time of its first piece, which the commit record updates)
// until fn returns an error. It lists the whole pool, which other slots may
// share, and keeps the first pieces of this slot's shards; uncommitted or
// damaged shards are skipped (orphan GC finds their pieces by age).
func (o *OSD) Walk(ctx context.Context, fn func(name string, size int64, modified time.Time) error) error {
	it, err := o.io.Iter()
	if err != nil {
		return fmt.Errorf("rados: OSD %s: walk: %w", o.id, classify(err))
	}
	defer it.Close()
	prefix := o.id + "/"
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		oid := it.Value()
		rest, ok := strings.CutPrefix(oid, prefix)
		if !ok {
			continue
		}
		name, ok := strings.CutSuffix(rest, ".0")
		if !ok || !validName(name) {
			continue
		}
		size, _, err := o.readCommit(name)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errCorrupt) {
			continue
		}
		if err != nil {
			return err
		}
		st, err := o.io.Stat(oid)
		if err != nil {
			if isErrno(err, enoent) {
				continue // removed meanwhile
			}
			return fmt.Errorf("rados: OSD %s: walk %s: %w", o.id, name, classify(err))
		}
		if err := fn(name, size, st.ModTime); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("rados: OSD %s: walk: %w", o.id, classify(err))
	}
	return nil
}
