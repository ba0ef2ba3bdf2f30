package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// DeleteObjectVersion is DeleteObject with S3's versioning semantics:
//
//   - no VersionID, bucket never versioned: the object is removed;
//   - no VersionID, versioned bucket: a delete marker becomes the newest
//     version (Suspended: it replaces the null version, whose data goes);
//   - a VersionID: that version (or marker) is removed permanently and its
//     data retired through GC, unless Object Lock protects it
//     (ErrObjectLocked). In a bucket with Object Lock a version whose
//     manifest does not verify is never removed: its lock state cannot be
//     trusted, so the request fails closed.
func (s *Store) DeleteObjectVersion(ctx context.Context, in DeleteInput) (DeleteResult, error) {
	if err := checkKey(in.Key); err != nil {
		return DeleteResult{}, err
	}
	if in.VersionID != "" {
		if err := checkVersionID(in.VersionID); err != nil {
			return DeleteResult{}, err
		}
	}
	bk, _, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return DeleteResult{}, err
	}
	if bk.Versioning == "" {
		if in.VersionID != "" && in.VersionID != NullVersion {
			return DeleteResult{}, fmt.Errorf("object: %s/%s version %s: %w", in.Bucket, in.Key, in.VersionID, ErrNoSuchVersion)
		}
		if err := s.DeleteObject(ctx, in.Bucket, in.Key); err != nil {
			return DeleteResult{}, err
		}
		return DeleteResult{VersionID: in.VersionID}, nil
	}
	if err := s.ensureHistory(ctx, in.Bucket, in.Key); err != nil {
		return DeleteResult{}, err
	}
	if in.VersionID == "" {
		return s.putMarker(ctx, bk, in.Bucket, in.Key)
	}
	e, ok, err := s.findVersion(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return DeleteResult{}, err
	}
	if !ok {
		return DeleteResult{}, fmt.Errorf("object: %s/%s version %s: %w", in.Bucket, in.Key, in.VersionID, ErrNoSuchVersion)
	}
	res := DeleteResult{VersionID: in.VersionID, DeleteMarker: isMarker(e.raw)}
	if !res.DeleteMarker {
		m, err := s.verifyManifest(ctx, e.raw, in.Bucket, in.Key)
		switch {
		case err != nil && bk.Lock:
			return DeleteResult{}, fmt.Errorf("object: %s/%s version %s: lock state cannot be verified: %w", in.Bucket, in.Key, in.VersionID, err)
		case err != nil && !errors.Is(err, ErrDamagedMetadata):
			return DeleteResult{}, err
		case err == nil:
			if err := checkDeletable(m, in.BypassGovernance, s.now()); err != nil {
				return DeleteResult{}, err
			}
		}
	}
	if err := s.dropVersion(ctx, in.Bucket, in.Key, e, "version deleted"); err != nil {
		return DeleteResult{}, err
	}
	if in.VersionID == NullVersion {
		if err := s.dropUnversionedCurrent(ctx, in.Bucket, in.Key); err != nil {
			return DeleteResult{}, err
		}
	}
	if err := s.syncCurrent(ctx, in.Bucket, in.Key); err != nil {
		return DeleteResult{}, err
	}
	return res, nil
}

// dropUnversionedCurrent removes obj/<key> when it still holds the
// manifest written before versioning was configured (VersionID ""): that
// object is the null version ensureHistory copied into ver/, just
// deleted. syncCurrent leaves such a record alone (it cannot tell it from
// one not yet copied), so without this the deleted null version would
// stay readable as the current object.
func (s *Store) dropUnversionedCurrent(ctx context.Context, bucket, key string) error {
	cur, ver, err := s.meta.Get(ctx, nsObjects(bucket), key)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrCorrupt) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("object: %s/%s: %w", bucket, key, err)
	}
	if m, err := manifest.Unmarshal(cur); err != nil || m.VersionID != "" {
		return nil
	}
	err = s.meta.Delete(ctx, nsObjects(bucket), key, storage.Cond{IfVersion: ver})
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition) {
		return fmt.Errorf("object: %s/%s: drop the unversioned copy: %w", bucket, key, err)
	}
	return nil
}
