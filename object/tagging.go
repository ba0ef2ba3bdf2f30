package object

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// S3's tag limits.
const (
	MaxObjectTags   = 10
	MaxBucketTags   = 50
	MaxTagKeyLen    = 128 // Unicode characters
	MaxTagValueLen  = 256 // Unicode characters
	reservedTagPref = "aws:"
)

// Tag is one key/value pair of an object's or bucket's tag set.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Tagging errors.
var (
	// ErrInvalidTag reports a tag set over S3's limits (S3 InvalidTag, 400).
	ErrInvalidTag = errors.New("object: invalid tag")
	// ErrNoSuchTagSet reports a bucket without tags (S3 NoSuchTagSet, 404).
	ErrNoSuchTagSet = errors.New("object: no tag set")
)

// ValidateTags checks a tag set written by a user against S3's limits: at
// most max tags, keys of 1 to 128 and values of at most 256 characters of
// valid UTF-8, no duplicate key, no key in the reserved "aws:" prefix.
// Failures wrap ErrInvalidTag with a message saying which rule broke.
func ValidateTags(tags []Tag, max int) error {
	if len(tags) > max {
		return fmt.Errorf("%w: object tags cannot be greater than %d (got %d)", ErrInvalidTag, max, len(tags))
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "":
			return fmt.Errorf("%w: the TagKey you have provided is empty", ErrInvalidTag)
		case !utf8.ValidString(t.Key) || !utf8.ValidString(t.Value):
			return fmt.Errorf("%w: tag %q is not valid UTF-8", ErrInvalidTag, t.Key)
		case utf8.RuneCountInString(t.Key) > MaxTagKeyLen:
			return fmt.Errorf("%w: the TagKey you have provided is too long, max %d characters", ErrInvalidTag, MaxTagKeyLen)
		case utf8.RuneCountInString(t.Value) > MaxTagValueLen:
			return fmt.Errorf("%w: the TagValue you have provided is too long, max %d characters", ErrInvalidTag, MaxTagValueLen)
		case strings.HasPrefix(strings.ToLower(t.Key), reservedTagPref):
			return fmt.Errorf("%w: your TagKey cannot be prefixed with %s", ErrInvalidTag, reservedTagPref)
		case seen[t.Key]:
			return fmt.Errorf("%w: cannot provide multiple tags with the same key %q", ErrInvalidTag, t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// Tag records. Manifests are signed and immutable per object version while
// S3 tags change independently of the data, so tags live in records of
// their own: "tags/<bucket>"/<key> for objects, "btags"/<bucket> for
// buckets. Like the other bookkeeping records they are unsigned; tags are
// labels, never a key to data.
const nsBucketTags = "btags"

func nsTags(bucket string) string { return "tags/" + bucket }

// tagRecord holds one object's tags. ID names the manifest they belong to
// (see objectIdentity): a record left behind by an overwritten or deleted
// object never attaches to a new object at the key; readers ignore it and
// writers replace or remove it.
type tagRecord struct {
	V    int    `json:"v"`
	ID   string `json:"id"`
	Tags []Tag  `json:"tags"`
}

// bucketTagRecord holds a bucket's tags, bound to one incarnation of the
// bucket by its Created (as policyRecord).
type bucketTagRecord struct {
	V       int   `json:"v"`
	Created int64 `json:"created"`
	Tags    []Tag `json:"tags"`
}

// objectIdentity names one committed object version: the data id of its
// first part (fresh random per write) and its modification time (new on
// every commit, including a copy onto itself that reuses no data).
func objectIdentity(m *manifest.Manifest) string {
	id := strconv.FormatInt(m.Modified, 36)
	if len(m.Parts) > 0 {
		id = hex.EncodeToString(m.Parts[0].DataID[:]) + "." + id
	}
	return id
}

// PutObjectTagging replaces the tag set of an existing object. The record
// is bound to the manifest read here, so if the object is overwritten
// meanwhile the tags stay with the version they were meant for (and are
// ignored), as S3's version-targeted tagging does.
func (s *Store) PutObjectTagging(ctx context.Context, bucket, key string, tags []Tag) error {
	if err := ValidateTags(tags, MaxObjectTags); err != nil {
		return err
	}
	m, _, err := s.openManifest(ctx, bucket, key)
	if err != nil {
		return err
	}
	return s.setObjectTags(ctx, m, tags)
}

// GetObjectTagging returns the object's tags (empty, not an error, when it
// has none, as S3 answers).
func (s *Store) GetObjectTagging(ctx context.Context, bucket, key string) ([]Tag, error) {
	m, _, err := s.openManifest(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return s.objectTags(ctx, m)
}

// DeleteObjectTagging removes the object's tags.
func (s *Store) DeleteObjectTagging(ctx context.Context, bucket, key string) error {
	m, _, err := s.openManifest(ctx, bucket, key)
	if err != nil {
		return err
	}
	return s.setObjectTags(ctx, m, nil)
}

// objectTags reads the tags of the object m commits; a record of another
// object (stale) counts as none.
func (s *Store) objectTags(ctx context.Context, m *manifest.Manifest) ([]Tag, error) {
	rec, _, err := s.tagRecord(ctx, m.Bucket, m.Key)
	if err != nil || rec == nil || rec.ID != objectIdentity(m) {
		return nil, err
	}
	return cloneTags(rec.Tags), nil
}

// tagRecord loads the tag record of bucket/key, nil when there is none. A
// damaged record reads as none: it is replaced by the next write.
func (s *Store) tagRecord(ctx context.Context, bucket, key string) (*tagRecord, storage.Version, error) {
	raw, ver, err := s.meta.Get(ctx, nsTags(bucket), key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("object: tags of %s/%s: %w", bucket, key, err)
	}
	var rec tagRecord
	if err := decodeRecord(raw, &rec, &rec.V); err != nil {
		s.log.Warn("object: ignoring a damaged tag record", "bucket", bucket, "key", key, "err", err)
		return nil, ver, nil
	}
	return &rec, ver, nil
}

// setObjectTags stores tags for the object m commits; no tags removes its
// record (see cleanTags).
func (s *Store) setObjectTags(ctx context.Context, m *manifest.Manifest, tags []Tag) error {
	if len(tags) == 0 {
		return s.cleanTags(ctx, m.Bucket, m.Key, objectIdentity(m))
	}
	raw, err := json.Marshal(&tagRecord{V: recordV1, ID: objectIdentity(m), Tags: cloneTags(tags)})
	if err != nil {
		return fmt.Errorf("object: tags of %s/%s: %w", m.Bucket, m.Key, err)
	}
	if _, err := s.meta.Put(ctx, nsTags(m.Bucket), m.Key, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("object: tags of %s/%s: %w", m.Bucket, m.Key, err)
	}
	return nil
}

// cleanTags deletes the tag record of bucket/key when it belongs to the
// object id, is damaged, or belongs to no object the key holds now (left by
// an overwrite or delete). The delete is guarded by the version read, and
// the key's current object is read after the record, so tags a newer
// object wrote meanwhile are never removed.
func (s *Store) cleanTags(ctx context.Context, bucket, key, id string) error {
	rec, ver, err := s.tagRecord(ctx, bucket, key)
	if err != nil || ver == 0 {
		return err
	}
	if rec != nil && rec.ID != id {
		raw, _, err := s.meta.Get(ctx, nsObjects(bucket), key)
		switch {
		case err == nil:
			if cur, perr := manifest.Unmarshal(raw); perr == nil && objectIdentity(cur) == rec.ID {
				return nil // the current object's own tags
			}
		case !errors.Is(err, storage.ErrNotFound):
			return fmt.Errorf("object: tags of %s/%s: %w", bucket, key, err)
		}
	}
	err = s.meta.Delete(ctx, nsTags(bucket), key, storage.Cond{IfVersion: ver})
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition) {
		return fmt.Errorf("object: tags of %s/%s: %w", bucket, key, err)
	}
	return nil
}

// applyWriteTags gives a just-committed object the tags its write asked
// for. The manifest commits first: a crash in between loses these tags but
// can never attach older ones, since any record there names another
// object. A failure is logged, not returned: the object is committed and
// the client must not retry a write that succeeded.
func (s *Store) applyWriteTags(ctx context.Context, m *manifest.Manifest, tags []Tag) {
	if len(tags) == 0 {
		return
	}
	if err := s.setObjectTags(ctx, m, tags); err != nil {
		s.log.Warn("object: object committed but its tags were not stored", "bucket", m.Bucket, "key", m.Key, "err", err)
	}
}

// dropBucketObjectTags removes every object tag record of a deleted bucket
// (best effort: leftovers name objects that no longer exist and are never
// read by a later bucket of the same name, whose objects have new ids).
func (s *Store) dropBucketObjectTags(ctx context.Context, bucket string) error {
	after := ""
	for {
		page, err := s.meta.List(ctx, nsTags(bucket), "", after, listPage)
		if err != nil {
			return fmt.Errorf("object: delete bucket %q: list tags: %w", bucket, err)
		}
		for _, e := range page {
			if err := s.meta.Delete(ctx, nsTags(bucket), e.Key, storage.Cond{}); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("object: delete bucket %q: tags of %q: %w", bucket, e.Key, err)
			}
			after = e.Key
		}
		if len(page) < listPage {
			return nil
		}
	}
}

// PutBucketTagging replaces the bucket's tag set.
func (s *Store) PutBucketTagging(ctx context.Context, bucket string, tags []Tag) error {
	if err := ValidateTags(tags, MaxBucketTags); err != nil {
		return err
	}
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return s.dropBucketTags(ctx, bucket)
	}
	raw, err := json.Marshal(&bucketTagRecord{V: recordV1, Created: rec.Created, Tags: tags})
	if err != nil {
		return fmt.Errorf("object: bucket %q tags: %w", bucket, err)
	}
	if _, err := s.meta.Put(ctx, nsBucketTags, bucket, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("object: bucket %q tags: %w", bucket, err)
	}
	return nil
}

// GetBucketTagging returns the bucket's tags, or ErrNoSuchTagSet.
func (s *Store) GetBucketTagging(ctx context.Context, bucket string) ([]Tag, error) {
	rec, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	raw, _, err := s.meta.Get(ctx, nsBucketTags, bucket)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchTagSet)
	}
	if err != nil {
		return nil, fmt.Errorf("object: bucket %q tags: %w", bucket, err)
	}
	var tr bucketTagRecord
	if err := decodeRecord(raw, &tr, &tr.V); err != nil {
		return nil, fmt.Errorf("object: bucket %q tags: %w", bucket, err)
	}
	if tr.Created != rec.Created || len(tr.Tags) == 0 {
		return nil, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchTagSet)
	}
	return tr.Tags, nil
}

// DeleteBucketTagging removes the bucket's tags; removing none succeeds.
func (s *Store) DeleteBucketTagging(ctx context.Context, bucket string) error {
	if _, _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	return s.dropBucketTags(ctx, bucket)
}

func (s *Store) dropBucketTags(ctx context.Context, bucket string) error {
	err := s.meta.Delete(ctx, nsBucketTags, bucket, storage.Cond{})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("object: bucket %q tags: %w", bucket, err)
	}
	return nil
}

// cloneTags copies a tag set so callers cannot alias stored state.
func cloneTags(tags []Tag) []Tag { return slices.Clone(tags) }
