package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tasmaniancloud/rustfs/storage"
)

// CreateBucket creates bucket owned by owner. A name taken by the same
// owner returns ErrBucketAlreadyOwned, by anyone else ErrBucketExists; the
// create is a conditional Meta put, so two racing gateways cannot both win.
func (s *Store) CreateBucket(ctx context.Context, bucket, owner, region string) error {
	return s.CreateBucketWith(ctx, CreateBucketInput{Bucket: bucket, Owner: owner, Region: region})
}

// CreateBucketWith is CreateBucket with a choice of data layout. The
// layout (in.Redundancy, or the store's default) is recorded in the bucket
// and fixed for its lifetime; one the cluster cannot place under the rack
// rule is ErrInvalidArgument.
func (s *Store) CreateBucketWith(ctx context.Context, in CreateBucketInput) error {
	bucket, owner := in.Bucket, in.Owner
	if err := checkBucketName(bucket); err != nil {
		return err
	}
	red := in.Redundancy
	if red.IsZero() {
		red = s.red
	}
	if !red.IsZero() {
		if err := checkRedundancy(s.backend.OSDs(), red); err != nil {
			return fmt.Errorf("object: create bucket %q: %w", bucket, err)
		}
	}
	rec := bucketRecord{V: recordV1, Name: bucket, Owner: owner, Region: in.Region, Created: s.now().UnixNano(), K: red.K, M: red.M}
	if in.ObjectLock {
		rec.Lock, rec.Versioning = true, VersioningEnabled
	}
	raw, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("object: create bucket %q: %w", bucket, err)
	}
	_, err = s.meta.Put(ctx, nsBuckets, bucket, raw, storage.Cond{IfAbsent: true})
	if errors.Is(err, storage.ErrPrecondition) {
		cur, _, gerr := s.bucket(ctx, bucket)
		if gerr != nil {
			return fmt.Errorf("object: create bucket %q: %w", bucket, ErrBucketExists)
		}
		if cur.Owner == owner {
			return fmt.Errorf("object: create bucket %q: %w", bucket, ErrBucketAlreadyOwned)
		}
		return fmt.Errorf("object: create bucket %q: %w", bucket, ErrBucketExists)
	}
	if err != nil {
		return fmt.Errorf("object: create bucket %q: %w", bucket, err)
	}
	return nil
}

// HeadBucket returns the bucket's record or ErrNoSuchBucket. Its
// Redundancy is the layout the bucket's new objects take.
func (s *Store) HeadBucket(ctx context.Context, bucket string) (BucketInfo, error) {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return BucketInfo{}, err
	}
	info := rec.info()
	if info.Redundancy = s.layoutOf(rec); info.Redundancy.IsZero() {
		eo := s.engine.Options()
		info.Redundancy = Redundancy{K: eo.K, M: eo.M}
	}
	return info, nil
}

// ListBuckets returns the buckets owned by owner ("" lists every bucket),
// sorted by name.
func (s *Store) ListBuckets(ctx context.Context, owner string) ([]BucketInfo, error) {
	var out []BucketInfo
	after := ""
	for {
		page, err := s.meta.List(ctx, nsBuckets, "", after, listPage)
		if err != nil {
			return nil, fmt.Errorf("object: list buckets: %w", err)
		}
		for _, e := range page {
			var rec bucketRecord
			if err := decodeRecord(e.Value, &rec, &rec.V); err != nil {
				// One damaged record must not hide every other bucket.
				s.log.Warn("object: damaged bucket record skipped in listing", "bucket", e.Key, "err", err)
				continue
			}
			if owner == "" || rec.Owner == owner {
				out = append(out, rec.info())
			}
		}
		if len(page) < listPage {
			return out, nil
		}
		after = page[len(page)-1].Key
	}
}

// DeleteBucket removes a bucket that holds no object. Multipart uploads in
// progress are aborted first, as S3 does; one being completed at that
// moment (its object about to appear) makes it ErrBucketNotEmpty, as does
// any object. The delete is guarded by the record's version so a
// concurrent re-create is not removed.
//
// Meta has no multi-key transactions, so emptiness is checked both before
// and after the record is removed: an object or upload that committed in
// between makes DeleteBucket restore the record and fail, and a writer that
// commits after the record is gone withdraws its own commit (commitObject,
// CreateMultipartUpload). Either way no object outlives its bucket.
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	rec, ver, err := s.bucket(ctx, bucket)
	if err != nil {
		return err
	}
	if err := s.checkEmpty(ctx, bucket, nsObjects(bucket), nsVersions(bucket)); err != nil {
		return err
	}
	if err := s.abortUploads(ctx, bucket); err != nil {
		return err
	}
	if err := s.checkEmpty(ctx, bucket, nsObjects(bucket), nsVersions(bucket), nsUploads(bucket)); err != nil {
		return err
	}
	err = s.meta.Delete(ctx, nsBuckets, bucket, storage.Cond{IfVersion: ver})
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrPrecondition):
		// Deleted (and perhaps re-created) while we looked: the bucket we
		// checked is gone, and a new one is not ours to remove.
		return fmt.Errorf("object: delete bucket %q: %w", bucket, ErrNoSuchBucket)
	case err != nil:
		return fmt.Errorf("object: delete bucket %q: %w", bucket, err)
	}
	if err := s.checkEmpty(ctx, bucket, nsObjects(bucket), nsVersions(bucket), nsUploads(bucket)); err != nil {
		raw, merr := json.Marshal(rec)
		if merr == nil {
			_, merr = s.meta.Put(context.WithoutCancel(ctx), nsBuckets, bucket, raw, storage.Cond{IfAbsent: true})
		}
		if merr != nil && !errors.Is(merr, storage.ErrPrecondition) {
			s.log.Error("object: could not restore a bucket that filled up while being deleted", "bucket", bucket, "err", merr)
		}
		return err
	}
	// The policy goes with the bucket. Failing here leaves a record bound
	// to the deleted bucket's creation time, which no later bucket of the
	// same name ever reads (see policyRecord).
	if err := s.dropBucketPolicy(ctx, bucket); err != nil {
		s.log.Warn("object: bucket deleted but its policy record was not", "bucket", bucket, "err", err)
	}
	// Tag records are not objects: they never keep a bucket from being
	// deleted, and go with it (best effort; see tagRecord).
	if err := s.dropBucketTags(ctx, bucket); err != nil {
		s.log.Warn("object: bucket deleted but its tag record was not", "bucket", bucket, "err", err)
	}
	if err := s.dropBucketObjectTags(ctx, bucket); err != nil {
		s.log.Warn("object: bucket deleted but some object tag records were not", "bucket", bucket, "err", err)
	}
	// So does the CORS configuration (a leftover is already ignored by a
	// new bucket of the name, see corsRecord, but it is not kept). The
	// versioning state, Object Lock configuration and default encryption
	// live in the bucket record itself and went with it above.
	if err := s.dropBucketCors(ctx, bucket); err != nil {
		s.log.Warn("object: bucket deleted but its CORS record was not", "bucket", bucket, "err", err)
	}
	return nil
}

// checkEmpty returns ErrBucketNotEmpty if bucket holds any object or upload.
func (s *Store) checkEmpty(ctx context.Context, bucket string, namespaces ...string) error {
	for _, ns := range namespaces {
		page, err := s.meta.List(ctx, ns, "", "", 1)
		if err != nil {
			return fmt.Errorf("object: delete bucket %q: %w", bucket, err)
		}
		if len(page) > 0 {
			return fmt.Errorf("object: delete bucket %q: %w", bucket, ErrBucketNotEmpty)
		}
	}
	return nil
}

// bucket loads a bucket record, mapping absence (and invalid names, which
// can never exist) to ErrNoSuchBucket.
func (s *Store) bucket(ctx context.Context, bucket string) (*bucketRecord, storage.Version, error) {
	if !ValidBucketName(bucket) {
		return nil, 0, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	raw, ver, err := s.meta.Get(ctx, nsBuckets, bucket)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("object: bucket %q: %w", bucket, err)
	}
	var rec bucketRecord
	if err := decodeRecord(raw, &rec, &rec.V); err != nil {
		return nil, 0, fmt.Errorf("object: bucket %q: %w", bucket, err)
	}
	return &rec, ver, nil
}

// abortUploads aborts every multipart upload of bucket. An upload a
// completion holds is left (Abort refuses it) for checkEmpty to report.
func (s *Store) abortUploads(ctx context.Context, bucket string) error {
	after := ""
	for {
		page, err := s.meta.List(ctx, nsUploads(bucket), "", after, listPage)
		if err != nil {
			return fmt.Errorf("object: delete bucket %q: list uploads: %w", bucket, err)
		}
		for _, e := range page {
			key, id, ok := strings.Cut(e.Key, "\x00")
			if !ok {
				continue
			}
			err := s.AbortMultipartUpload(ctx, bucket, key, id)
			if err != nil && !errors.Is(err, ErrNoSuchUpload) {
				return fmt.Errorf("object: delete bucket %q: abort upload %s: %w", bucket, id, err)
			}
		}
		if len(page) < listPage {
			return nil
		}
		after = page[len(page)-1].Key
	}
}
