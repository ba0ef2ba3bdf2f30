package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/storage"
)

// MaxBucketPolicySize is S3's limit on a bucket policy document: 20 KiB.
const MaxBucketPolicySize = 20 << 10

// nsBucketPolicy holds one policyRecord per bucket, keyed by bucket name.
// Policies live in Meta, not in a gateway, so every gateway sharing the
// backend reads the same one.
const nsBucketPolicy = "bpolicy"

// policyRecord is the value stored under "bpolicy"/<bucket>. Created binds
// it to one incarnation of the bucket: a record left behind by a deleted
// bucket (DeleteBucket's cleanup is best effort) never applies to a new
// bucket of the same name, which would silently inherit its grants.
type policyRecord struct {
	V       int    `json:"v"`
	Bucket  string `json:"bucket"`
	Created int64  `json:"created"` // the bucket record's Created
	Doc     []byte `json:"doc"`     // the document exactly as PUT
}

// PutBucketPolicy validates doc as a bucket policy for bucket and stores
// it verbatim, replacing any previous one. A document that does not parse,
// names an unknown action or condition operator, or reaches outside the
// bucket is ErrMalformedPolicy and changes nothing.
func (s *Store) PutBucketPolicy(ctx context.Context, bucket string, doc []byte) error {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return err
	}
	if len(doc) > MaxBucketPolicySize {
		return fmt.Errorf("object: bucket %q policy of %d bytes exceeds %d: %w", bucket, len(doc), MaxBucketPolicySize, ErrMalformedPolicy)
	}
	if _, err := policy.ParseBucket(bucket, doc); err != nil {
		return fmt.Errorf("object: bucket %q: %w: %w", bucket, ErrMalformedPolicy, err)
	}
	raw, err := json.Marshal(&policyRecord{V: recordV1, Bucket: bucket, Created: rec.Created, Doc: doc})
	if err != nil {
		return fmt.Errorf("object: bucket %q policy: %w", bucket, err)
	}
	if _, err := s.meta.Put(ctx, nsBucketPolicy, bucket, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("object: bucket %q policy: %w", bucket, err)
	}
	// A DeleteBucket that ran meanwhile has already cleaned up; the record
	// just written is bound to the dead bucket's Created and never applies,
	// but it is removed so nothing stale lingers.
	if cur, _, err := s.bucket(ctx, bucket); err != nil || cur.Created != rec.Created {
		_ = s.meta.Delete(context.WithoutCancel(ctx), nsBucketPolicy, bucket, storage.Cond{})
		return fmt.Errorf("object: bucket %q policy: %w", bucket, ErrNoSuchBucket)
	}
	return nil
}

// GetBucketPolicy returns the bucket's policy document as it was PUT, or
// ErrNoSuchBucketPolicy (ErrNoSuchBucket when the bucket does not exist).
func (s *Store) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	raw, _, err := s.meta.Get(ctx, nsBucketPolicy, bucket)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchBucketPolicy)
	}
	if err != nil {
		return nil, fmt.Errorf("object: bucket %q policy: %w", bucket, err)
	}
	var pr policyRecord
	if err := decodeRecord(raw, &pr, &pr.V); err != nil {
		return nil, fmt.Errorf("object: bucket %q policy: %w", bucket, err)
	}
	if pr.Created != rec.Created || pr.Bucket != bucket {
		return nil, fmt.Errorf("object: bucket %q (policy of an earlier bucket): %w", bucket, ErrNoSuchBucketPolicy)
	}
	return pr.Doc, nil
}

// DeleteBucketPolicy removes the bucket's policy; deleting a policy that
// does not exist succeeds, as in S3.
func (s *Store) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	if _, _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	return s.dropBucketPolicy(ctx, bucket)
}

// dropBucketPolicy deletes the policy record, if any.
func (s *Store) dropBucketPolicy(ctx context.Context, bucket string) error {
	err := s.meta.Delete(ctx, nsBucketPolicy, bucket, storage.Cond{})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("object: bucket %q policy: %w", bucket, err)
	}
	return nil
}
