package object

import (
	"context"
	"maps"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// ObjectAttributes is what GetObjectAttributes reports: the object's
// description and, for a multipart object, its parts with their sizes and
// checksums (as stored in the signed manifest).
type ObjectAttributes struct {
	Info  ObjectInfo
	Parts []PartInfo // nil for an object from a single PUT or copy
}

// GetObjectAttributes reads the object's verified manifest and returns its
// attributes without opening any data.
func (s *Store) GetObjectAttributes(ctx context.Context, bucket, key string) (ObjectAttributes, error) {
	if err := checkKey(key); err != nil {
		return ObjectAttributes{}, err
	}
	m, _, err := s.openManifest(ctx, bucket, key)
	if err != nil {
		return ObjectAttributes{}, err
	}
	return s.attributesOf(ctx, m)
}

// VersionAttributer is GetObjectAttributes of one version by id, which
// *Store implements; the gateway answers NotImplemented for a Layer
// without it.
type VersionAttributer interface {
	// GetObjectAttributesVersion returns the attributes of version
	// versionID of bucket/key ("" = the current one). A version id the key
	// does not have is ErrNoSuchVersion; a delete marker is a
	// *DeleteMarkerError wrapping ErrMethodNotAllowed.
	GetObjectAttributesVersion(ctx context.Context, bucket, key, versionID string) (ObjectAttributes, error)
}

var _ VersionAttributer = (*Store)(nil)

// GetObjectAttributesVersion implements VersionAttributer: it reads the
// version's verified manifest, as GetObject with a versionId does.
func (s *Store) GetObjectAttributesVersion(ctx context.Context, bucket, key, versionID string) (ObjectAttributes, error) {
	if versionID == "" {
		return s.GetObjectAttributes(ctx, bucket, key)
	}
	m, _, err := s.openVersion(ctx, bucket, key, versionID)
	if err != nil {
		return ObjectAttributes{}, err
	}
	return s.attributesOf(ctx, m)
}

// attributesOf describes the verified manifest m, after the SSE-C check.
func (s *Store) attributesOf(ctx context.Context, m *manifest.Manifest) (ObjectAttributes, error) {
	if err := s.checkCustomerKey(ctx, m); err != nil {
		return ObjectAttributes{}, err
	}
	out := ObjectAttributes{Info: manifestInfo(m)}
	if m.UploadID != "" {
		mod := time.Unix(0, m.Modified).UTC()
		out.Parts = make([]PartInfo, len(m.Parts))
		for i, p := range m.Parts {
			out.Parts[i] = PartInfo{PartNumber: int(p.Number), ETag: p.ETag, Size: p.Size, LastModified: mod, Checksums: maps.Clone(p.Checksums)}
		}
	}
	return out, nil
}
