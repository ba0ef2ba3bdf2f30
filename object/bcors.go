package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// MaxBucketCorsSize is S3's limit on a CORS configuration document: 64 KiB.
const MaxBucketCorsSize = 64 << 10

// ErrNoSuchCORSConfiguration reports a bucket without a CORS configuration
// (S3 NoSuchCORSConfiguration, 404).
var ErrNoSuchCORSConfiguration = errors.New("object: no CORS configuration")

// nsBucketCors holds one corsRecord per bucket, keyed by bucket name, in
// Meta so every gateway answers preflights alike.
const nsBucketCors = "bcors"

// corsRecord is the value under "bcors"/<bucket>. Created binds it to one
// incarnation of the bucket (as policyRecord): a record a deleted bucket
// left behind never applies to a new bucket of the same name.
type corsRecord struct {
	V       int    `json:"v"`
	Bucket  string `json:"bucket"`
	Created int64  `json:"created"`
	Doc     []byte `json:"doc"` // the validated document exactly as PUT
}

// PutBucketCors stores doc (validated by the caller, which owns the XML
// grammar) as the bucket's CORS configuration, replacing any previous one.
func (s *Store) PutBucketCors(ctx context.Context, bucket string, doc []byte) error {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return err
	}
	if len(doc) > MaxBucketCorsSize {
		return fmt.Errorf("object: bucket %q CORS configuration of %d bytes exceeds %d: %w", bucket, len(doc), MaxBucketCorsSize, ErrInvalidArgument)
	}
	raw, err := json.Marshal(&corsRecord{V: recordV1, Bucket: bucket, Created: rec.Created, Doc: doc})
	if err != nil {
		return fmt.Errorf("object: bucket %q cors: %w", bucket, err)
	}
	if _, err := s.meta.Put(ctx, nsBucketCors, bucket, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("object: bucket %q cors: %w", bucket, err)
	}
	return nil
}

// GetBucketCors returns the bucket's CORS document as PUT, or
// ErrNoSuchCORSConfiguration (ErrNoSuchBucket without the bucket).
func (s *Store) GetBucketCors(ctx context.Context, bucket string) ([]byte, error) {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	raw, _, err := s.meta.Get(ctx, nsBucketCors, bucket)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchCORSConfiguration)
	}
	if err != nil {
		return nil, fmt.Errorf("object: bucket %q cors: %w", bucket, err)
	}
	var cr corsRecord
	if err := decodeRecord(raw, &cr, &cr.V); err != nil {
		return nil, fmt.Errorf("object: bucket %q cors: %w", bucket, err)
	}
	if cr.Created != rec.Created || cr.Bucket != bucket {
		return nil, fmt.Errorf("object: bucket %q (CORS of an earlier bucket): %w", bucket, ErrNoSuchCORSConfiguration)
	}
	return cr.Doc, nil
}

// DeleteBucketCors removes the bucket's CORS configuration; deleting one
// that does not exist succeeds, as in S3.
func (s *Store) DeleteBucketCors(ctx context.Context, bucket string) error {
	if _, _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	return s.dropBucketCors(ctx, bucket)
}

// dropBucketCors removes the CORS record of bucket, if any (DeleteBucketCors,
// and DeleteBucket once the bucket record is gone).
func (s *Store) dropBucketCors(ctx context.Context, bucket string) error {
	err := s.meta.Delete(ctx, nsBucketCors, bucket, storage.Cond{})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("object: bucket %q cors: %w", bucket, err)
	}
	return nil
}
