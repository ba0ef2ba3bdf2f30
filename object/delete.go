package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// DeleteObject removes an object. Deleting a missing key succeeds, as in
// S3. The manifest goes first (the object disappears atomically), then its
// shards; the delete is guarded by the version read, so a concurrent
// overwrite is either deleted as well (we retry against it) or wins after us.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if _, _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	ns := nsObjects(bucket)
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		raw, ver, err := s.meta.Get(ctx, ns, key)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if errors.Is(err, storage.ErrCorrupt) {
			// No copy of the manifest survives, so its shards cannot be
			// named: removing the key is what the owner needs, and orphan
			// GC reclaims the shards once nothing references them.
			s.log.Warn("deleting an object whose manifest is unrecoverable", "bucket", bucket, "key", key, "err", err)
			if err := s.meta.Delete(ctx, ns, key, storage.Cond{}); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("object: delete %s/%s: %w", bucket, key, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("object: delete %s/%s: %w", bucket, key, err)
		}
		err = s.meta.Delete(ctx, ns, key, storage.Cond{IfVersion: ver})
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return nil
		case errors.Is(err, storage.ErrPrecondition):
			continue
		case err != nil:
			return fmt.Errorf("object: delete %s/%s: %w", bucket, key, err)
		}
		s.retire(ctx, "deleted", storedLayouts(raw)...)
		if m, perr := manifest.Unmarshal(raw); perr == nil {
			if terr := s.cleanTags(ctx, bucket, key, objectIdentity(m)); terr != nil {
				s.log.Warn("object: deleted object's tag record left", "bucket", bucket, "key", key, "err", terr)
			}
		}
		return nil
	}
	return fmt.Errorf("object: delete %s/%s: %w: too much contention", bucket, key, storage.ErrPrecondition)
}
