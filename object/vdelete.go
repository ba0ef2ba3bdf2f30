package object

import (
	"context"
	"errors"
	"fmt"
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
	if err := s.syncCurrent(ctx, in.Bucket, in.Key); err != nil {
		return DeleteResult{}, err
	}
	return res, nil
}
