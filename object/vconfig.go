package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// updateBucket applies change to the bucket record with a compare-and-swap
// loop, so two gateways configuring one bucket cannot lose an update.
func (s *Store) updateBucket(ctx context.Context, bucket string, change func(*bucketRecord) error) error {
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		rec, ver, err := s.bucket(ctx, bucket)
		if err != nil {
			return err
		}
		if err := change(rec); err != nil {
			return fmt.Errorf("object: bucket %q: %w", bucket, err)
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("object: bucket %q: %w", bucket, err)
		}
		_, err = s.meta.Put(ctx, nsBuckets, bucket, raw, storage.Cond{IfVersion: ver})
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		if err != nil {
			return fmt.Errorf("object: bucket %q: %w", bucket, err)
		}
		return nil
	}
	return fmt.Errorf("object: bucket %q: %w: too much contention", bucket, storage.ErrPrecondition)
}

// PutBucketVersioning sets a bucket's versioning to VersioningEnabled or
// VersioningSuspended. A bucket with Object Lock cannot be suspended
// (ErrInvalidBucketState), as in S3. Objects already stored stay as they
// are: each becomes the null version when its key next changes.
func (s *Store) PutBucketVersioning(ctx context.Context, bucket, status string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return fmt.Errorf("%w: versioning status %q", ErrMalformedXML, status)
	}
	return s.updateBucket(ctx, bucket, func(r *bucketRecord) error {
		if r.Lock && status != VersioningEnabled {
			return fmt.Errorf("%w: an Object Lock configuration is present on this bucket, so the versioning state cannot be changed", ErrInvalidBucketState)
		}
		r.Versioning = status
		return nil
	})
}

// GetBucketVersioning returns the bucket's versioning status ("" when it
// was never configured).
func (s *Store) GetBucketVersioning(ctx context.Context, bucket string) (string, error) {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return "", err
	}
	return rec.Versioning, nil
}

// checkLockDefault validates a default retention rule.
func checkLockDefault(c LockConfig) error {
	if c.Mode == "" {
		if c.Days != 0 || c.Years != 0 {
			return fmt.Errorf("%w: a default retention period needs a mode", ErrMalformedXML)
		}
		return nil
	}
	if c.Mode != LockGovernance && c.Mode != LockCompliance {
		return fmt.Errorf("%w: retention mode %q", ErrMalformedXML, c.Mode)
	}
	if (c.Days > 0) == (c.Years > 0) || c.Days < 0 || c.Years < 0 || c.Days > 36500 || c.Years > 100 {
		return fmt.Errorf("%w: default retention needs a positive Days or Years (not both)", ErrMalformedXML)
	}
	return nil
}

// PutObjectLockConfiguration sets the bucket's Object Lock configuration.
// Object Lock can be turned on for a bucket with versioning Enabled (as S3
// now allows), never off; the default retention may change or go.
func (s *Store) PutObjectLockConfiguration(ctx context.Context, bucket string, c LockConfig) error {
	if !c.Enabled {
		return fmt.Errorf("%w: ObjectLockEnabled must be Enabled", ErrMalformedXML)
	}
	if err := checkLockDefault(c); err != nil {
		return err
	}
	return s.updateBucket(ctx, bucket, func(r *bucketRecord) error {
		if !r.Lock && r.Versioning != VersioningEnabled {
			return fmt.Errorf("%w: versioning must be Enabled to turn on Object Lock", ErrInvalidBucketState)
		}
		r.Lock, r.Versioning = true, VersioningEnabled
		r.LockMode, r.LockDays, r.LockYears = c.Mode, c.Days, c.Years
		return nil
	})
}

// GetObjectLockConfiguration returns the bucket's Object Lock
// configuration, or ErrNoSuchObjectLockConfiguration when it has none.
func (s *Store) GetObjectLockConfiguration(ctx context.Context, bucket string) (LockConfig, error) {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return LockConfig{}, err
	}
	if !rec.Lock {
		return LockConfig{}, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchObjectLockConfiguration)
	}
	return LockConfig{Enabled: true, Mode: rec.LockMode, Days: rec.LockDays, Years: rec.LockYears}, nil
}
