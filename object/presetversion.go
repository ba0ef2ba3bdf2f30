package object

import (
	"context"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// NewVersionID mints a version id for a version made at t, of the shape
// the layer mints itself. A CompleteMultipartUpload whose answer leaves
// before the commit hands one in (CompleteOptions.VersionID), so its
// headers can name the version.
func NewVersionID(t time.Time) (string, error) { return newVersionID(t.UnixNano()) }

// presetVersion gives m, about to become a version of a bucket whose
// versioning is Enabled, the id preset names, if any. It is called just
// before the commit, so an id preset mints on first call carries the
// commit's time unless the caller already asked for it (then the header
// that named it has left).
func presetVersion(bk *bucketRecord, m *manifest.Manifest, preset func() (string, error)) error {
	if preset == nil || bk.Versioning != VersioningEnabled {
		return nil
	}
	id, err := preset()
	if err != nil {
		return fmt.Errorf("object: complete %s/%s: version id: %w", m.Bucket, m.Key, err)
	}
	if !validVersionID(id) {
		return fmt.Errorf("object: complete %s/%s: preset version id %q: %w", m.Bucket, m.Key, id, ErrInvalidArgument)
	}
	m.VersionID = id
	return nil
}

// UploadEncryptionInfo describes how the object an upload will make is
// encrypted (fixed when the upload is created); *Store implements it.
type UploadEncryptionInfo interface {
	UploadEncryption(ctx context.Context, bucket, key, uploadID string) (EncryptionInfo, error)
}

var _ UploadEncryptionInfo = (*Store)(nil)

// UploadEncryption returns the encryption of an upload in progress
// (including one being completed): what a streamed
// CompleteMultipartUpload answer reports before the commit.
func (s *Store) UploadEncryption(ctx context.Context, bucket, key, uploadID string) (EncryptionInfo, error) {
	rec, _, err := s.loadUpload(ctx, bucket, key, uploadID, false)
	if err != nil {
		return EncryptionInfo{}, err
	}
	return envelopeInfo(rec.Envelope), nil
}
