package users

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// pabPrefix keys bucket-level public access blocks: "pab/<bucket>".
const pabPrefix = "pab/"

// PublicAccessBlock is S3's four public-access switches for one bucket.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"blockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets"`
}

// pabRecord binds a block to the bucket's creation time, so a bucket
// deleted and created again under the name does not inherit the old
// bucket's settings (nothing removes the record when a bucket goes).
type pabRecord struct {
	Bucket  string            `json:"bucket"`
	Created time.Time         `json:"created"`
	Block   PublicAccessBlock `json:"block"`
}

// The IAM store also keeps the account's public-access settings per
// bucket, in the same Meta namespace, since they are access control and
// every gateway must see the same. They are read from Meta on each call;
// callers cache (s3api caches them with the bucket policy).

// GetPublicAccessBlock returns the block stored for bucket (created at
// created), and false when it has none.
func (s *Store) GetPublicAccessBlock(ctx context.Context, bucket string, created time.Time) (PublicAccessBlock, bool, error) {
	raw, _, err := s.o.Meta.Get(ctx, metaNS, pabPrefix+bucket)
	if errors.Is(err, storage.ErrNotFound) {
		return PublicAccessBlock{}, false, nil
	}
	if err != nil {
		return PublicAccessBlock{}, false, fmt.Errorf("users: public access block of %q: %w", bucket, err)
	}
	var r pabRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return PublicAccessBlock{}, false, fmt.Errorf("users: public access block of %q: %w", bucket, err)
	}
	if !r.Created.Equal(created) {
		return PublicAccessBlock{}, false, nil // an earlier bucket's
	}
	return r.Block, true, nil
}

// PutPublicAccessBlock stores bucket's block.
func (s *Store) PutPublicAccessBlock(ctx context.Context, bucket string, created time.Time, b PublicAccessBlock) error {
	return s.put(ctx, pabPrefix+bucket, pabRecord{Bucket: bucket, Created: created.UTC(), Block: b}, storage.Cond{})
}

// DeletePublicAccessBlock removes bucket's block (nothing stored is not
// an error).
func (s *Store) DeletePublicAccessBlock(ctx context.Context, bucket string) error {
	err := s.o.Meta.Delete(ctx, metaNS, pabPrefix+bucket, storage.Cond{})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("users: delete public access block of %q: %w", bucket, err)
	}
	return nil
}
