package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// tagKey is where the tags of the version m commits live in "tags/<bucket>":
// the object key for an unversioned object and for the null version (a key
// has at most one, and the record's identity check tells them apart), and
// key + NUL + version id for a real version, so each version keeps its own
// tags.
func tagKey(m *manifest.Manifest) string {
	if m.VersionID == "" || m.VersionID == NullVersion {
		return m.Key
	}
	return versionKey(m.Key, m.VersionID)
}

// dropVersionTags removes the tag record of one real version.
func (s *Store) dropVersionTags(ctx context.Context, bucket, recordKey string) error {
	err := s.meta.Delete(ctx, nsTags(bucket), recordKey, storage.Cond{})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("object: tags of %s: %w", bucket, err)
	}
	return nil
}

// VersionTagger is object tagging addressed to one version; *Store
// implements it. Each returns the version id it acted on ("" for an object
// in a bucket whose versioning was never configured).
type VersionTagger interface {
	PutObjectTaggingVersion(ctx context.Context, bucket, key, versionID string, tags []Tag) (string, error)
	GetObjectTaggingVersion(ctx context.Context, bucket, key, versionID string) ([]Tag, string, error)
	DeleteObjectTaggingVersion(ctx context.Context, bucket, key, versionID string) (string, error)
}

var _ VersionTagger = (*Store)(nil)

// taggedVersion opens the version a tagging call names ("" = current).
func (s *Store) taggedVersion(ctx context.Context, bucket, key, versionID string) (*manifest.Manifest, error) {
	if versionID == "" {
		m, _, err := s.openManifest(ctx, bucket, key)
		return m, err
	}
	m, _, err := s.openVersion(ctx, bucket, key, versionID)
	return m, err
}

// PutObjectTaggingVersion replaces the tags of one version.
func (s *Store) PutObjectTaggingVersion(ctx context.Context, bucket, key, versionID string, tags []Tag) (string, error) {
	if err := ValidateTags(tags, MaxObjectTags); err != nil {
		return "", err
	}
	m, err := s.taggedVersion(ctx, bucket, key, versionID)
	if err != nil {
		return "", err
	}
	return m.VersionID, s.setObjectTags(ctx, m, tags)
}

// GetObjectTaggingVersion returns the tags of one version.
func (s *Store) GetObjectTaggingVersion(ctx context.Context, bucket, key, versionID string) ([]Tag, string, error) {
	m, err := s.taggedVersion(ctx, bucket, key, versionID)
	if err != nil {
		return nil, "", err
	}
	tags, err := s.objectTags(ctx, m)
	return tags, m.VersionID, err
}

// DeleteObjectTaggingVersion removes the tags of one version.
func (s *Store) DeleteObjectTaggingVersion(ctx context.Context, bucket, key, versionID string) (string, error) {
	m, err := s.taggedVersion(ctx, bucket, key, versionID)
	if err != nil {
		return "", err
	}
	return m.VersionID, s.setObjectTags(ctx, m, nil)
}
