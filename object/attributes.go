package object

import (
	"context"
	"maps"
	"time"
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
