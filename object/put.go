package object

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// maxCommitAttempts bounds the compare-and-swap loop of a manifest commit.
// Each failed attempt means another writer committed in between, so the
// loop only spins under sustained contention on one key.
const maxCommitAttempts = 64

// PutObject stores one object. The data key is derived for the BUCKET
// OWNER's account (S3's BucketOwnerEnforced ownership: the bucket owner owns
// every object), so objects written by any authorised writer stay readable
// by the bucket owner; the manifest's Owner records that account and the
// reader re-derives the key context from it. in.Owner (the writer) is not
// part of the key context.
//
// The object becomes visible only when its signed manifest commits; a
// cancelled or rejected upload leaves nothing behind.
func (s *Store) PutObject(ctx context.Context, in PutInput) (ObjectInfo, error) {
	if err := checkKey(in.Key); err != nil {
		return ObjectInfo{}, err
	}
	if err := checkMeta(in.Meta); err != nil {
		return ObjectInfo{}, err
	}
	if err := ValidateTags(in.Meta.Tags, MaxObjectTags); err != nil {
		return ObjectInfo{}, err
	}
	bk, _, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := s.checkWriteCondition(ctx, in.Bucket, in.Key, in.Cond); err != nil {
		return ObjectInfo{}, err
	}
	var res *reservation
	if bk.Versioning == "" {
		// The key's index entry is written while the body streams in
		// (versioned buckets commit version records instead).
		res = s.reserveIndex(ctx, nsObjects(in.Bucket), in.Key)
		defer res.end()
	}
	kc := kdf.Context{Account: bk.Owner, Bucket: in.Bucket, Key: in.Key}
	key, env, err := s.newKey(ctx, bk, kc)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: put %s/%s: new key: %w", in.Bucket, in.Key, err)
	}
	defer key.Destroy()
	data, err := s.writeData(ctx, dataSpec{in: &in, key: key, md5: !s.fast, red: s.layoutOf(bk)})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: put %s/%s: %w", in.Bucket, in.Key, err)
	}
	etag := fastETag(data.layout.DataID)
	if !s.fast {
		etag = hex.EncodeToString(data.md5)
	}
	m := &manifest.Manifest{
		Bucket: in.Bucket, Key: in.Key, Size: data.layout.Size, ETag: etag,
		Modified: s.now().UnixNano(), Owner: bk.Owner,
		Parts:    []manifest.Part{manifestPart(data.layout, etag, nil)},
		Envelope: env,
	}
	setMeta(m, in.Meta)
	setChecksums(m, data.sums, ChecksumFullObject)
	if err := s.applyLock(bk, m, in.Lock); err != nil {
		s.deleteData(ctx, "rejected lock", data.layout)
		return ObjectInfo{}, fmt.Errorf("object: put %s/%s: %w", in.Bucket, in.Key, err)
	}
	res.wait()
	if err := s.commitObject(ctx, bk, m, in.Cond, data.layout); err != nil {
		return ObjectInfo{}, err
	}
	s.applyWriteTags(ctx, m, in.Meta.Tags)
	return manifestInfo(m), nil
}

// commitObject signs m and makes it the current manifest of its key with a
// compare-and-swap loop, then deletes the shards of the manifest it replaced.
// Because every replacement is guarded by the version it read, each
// overwritten manifest is cleaned up by exactly the writer that replaced it:
// two racing PUTs of one key end with one consistent winner and no leaked
// shards. On failure the new data (own) is deleted. New data with fewer
// than n shards gets a durable heal record before the commit.
//
// After the commit the bucket is looked up again: if a DeleteBucket removed
// it meanwhile (its emptiness check ran before our commit), the object is
// withdrawn and ErrNoSuchBucket returned. Together with DeleteBucket's
// re-check after removing the record, no object outlives its bucket.
//
// In a bucket whose versioning was configured the commit goes through
// commitVersion instead: a new version, nothing overwritten.
func (s *Store) commitObject(ctx context.Context, bk *bucketRecord, m *manifest.Manifest, wc WriteCondition, own ...dataplane.Layout) error {
	if degraded(own...) {
		// Invariant 2: the repair intent is durable before the answer. A
		// failure fails the request and its data is garbage.
		if err := s.queueHeal(ctx, healObjectKey(m.Bucket, m.Key), "degraded write"); err != nil {
			s.deleteData(ctx, "heal record failed", own...)
			return fmt.Errorf("object: put %s/%s: %w", m.Bucket, m.Key, err)
		}
	}
	if bk.Versioning != "" {
		ver, err := s.commitVersion(ctx, bk, m, wc, own...)
		if err != nil {
			return err
		}
		if _, _, err := s.bucket(ctx, m.Bucket); errors.Is(err, ErrNoSuchBucket) {
			cctx, cancel := cleanupCtx(ctx)
			defer cancel()
			if derr := s.meta.Delete(cctx, nsVersions(m.Bucket), versionKey(m.Key, segOf(m.VersionID, m.Modified)), storage.Cond{IfVersion: ver}); derr == nil {
				s.meta.Delete(cctx, nsObjects(m.Bucket), m.Key, storage.Cond{})
				s.retire(cctx, "bucket deleted during commit", own...)
			}
			return fmt.Errorf("object: put %s/%s: bucket deleted meanwhile: %w", m.Bucket, m.Key, ErrNoSuchBucket)
		}
		return nil
	}
	ver, err := s.signAndSwap(ctx, m, wc)
	if err != nil {
		s.discardUnlessUnknown(ctx, err, "commit failed", own...)
		return err
	}
	if _, _, err := s.bucket(ctx, m.Bucket); errors.Is(err, ErrNoSuchBucket) {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		if derr := s.meta.Delete(cctx, nsObjects(m.Bucket), m.Key, storage.Cond{IfVersion: ver}); derr == nil || errors.Is(derr, storage.ErrNotFound) {
			s.retire(cctx, "bucket deleted during commit", own...)
		}
		return fmt.Errorf("object: put %s/%s: bucket deleted meanwhile: %w", m.Bucket, m.Key, ErrNoSuchBucket)
	}
	return nil
}

// signAndSwap signs m and commits it over whatever manifest the key holds
// (see commitObject), returning the committed version. wc is evaluated
// against the manifest each attempt replaces, so the condition and the
// swap are one atomic step.
func (s *Store) signAndSwap(ctx context.Context, m *manifest.Manifest, wc WriteCondition) (storage.Version, error) {
	if err := s.keys.SignManifest(ctx, m); err != nil {
		return 0, fmt.Errorf("object: sign manifest %s/%s: %w", m.Bucket, m.Key, err)
	}
	raw, err := m.Marshal()
	if err != nil {
		return 0, fmt.Errorf("object: encode manifest %s/%s: %w", m.Bucket, m.Key, err)
	}
	ns := nsObjects(m.Bucket)
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("object: commit %s/%s: %w", m.Bucket, m.Key, err)
		}
		old, ver, err := s.meta.Get(ctx, ns, m.Key)
		cond := storage.Cond{IfVersion: ver}
		if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrCorrupt) {
			if cerr := wc.check(m.Bucket, m.Key, old, !errors.Is(err, storage.ErrNotFound)); cerr != nil {
				return 0, cerr
			}
		}
		switch {
		case errors.Is(err, storage.ErrNotFound):
			old, cond = nil, storage.Cond{IfAbsent: true}
		case errors.Is(err, storage.ErrCorrupt):
			// Overwriting a key whose every manifest copy is damaged
			// repairs it; the old shards are left to orphan GC.
			s.log.Warn("overwriting an object whose manifest is unrecoverable", "bucket", m.Bucket, "key", m.Key, "err", err)
			old, cond = nil, storage.Cond{}
		case err != nil:
			return 0, fmt.Errorf("object: commit %s/%s: %w", m.Bucket, m.Key, err)
		}
		newVer, err := s.meta.Put(ctx, ns, m.Key, raw, cond)
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("object: commit %s/%s: %w: %w", m.Bucket, m.Key, errOutcomeUnknown, err)
		}
		if old != nil {
			s.retire(ctx, "overwritten", droppedLayouts(storedLayouts(old), m)...)
		}
		return newVer, nil
	}
	return 0, fmt.Errorf("object: commit %s/%s: %w: too much contention", m.Bucket, m.Key, storage.ErrPrecondition)
}

// storedLayouts parses a stored manifest for cleanup. It does not verify
// the signature: the layouts only name shards to delete, and a tampered
// manifest could already be deleted outright by whoever can write Meta.
func storedLayouts(raw []byte) []dataplane.Layout {
	m, err := manifest.Unmarshal(raw)
	if err != nil {
		return nil
	}
	out := make([]dataplane.Layout, len(m.Parts))
	for i := range m.Parts {
		out[i] = layoutOf(&m.Parts[i])
	}
	return out
}

// droppedLayouts returns the layouts of old whose data m no longer uses: a
// copy onto itself or a retried completion reuses data ids, which must
// never be queued for deletion.
func droppedLayouts(old []dataplane.Layout, m *manifest.Manifest) []dataplane.Layout {
	used := make(map[[16]byte]bool, len(m.Parts))
	for i := range m.Parts {
		used[m.Parts[i].DataID] = true
	}
	out := old[:0]
	for _, l := range old {
		if !used[l.DataID] {
			out = append(out, l)
		}
	}
	return out
}

// setMeta copies user-visible metadata into a manifest.
func setMeta(m *manifest.Manifest, meta ObjectMeta) {
	m.ContentType = meta.ContentType
	m.ContentEncoding = meta.ContentEncoding
	m.ContentDisposition = meta.ContentDisposition
	m.ContentLanguage = meta.ContentLanguage
	m.CacheControl = meta.CacheControl
	m.Expires = meta.Expires
	if len(meta.User) > 0 {
		m.UserMeta = maps.Clone(meta.User)
	}
}

// setChecksums records flexible checksums of type typ, if any.
func setChecksums(m *manifest.Manifest, sums map[string]string, typ string) {
	if len(sums) == 0 {
		return
	}
	m.Checksums = sums
	m.ChecksumType = typ
}

// manifestMeta returns the user-visible metadata of a manifest.
func manifestMeta(m *manifest.Manifest) ObjectMeta {
	return ObjectMeta{
		ContentType: m.ContentType, ContentEncoding: m.ContentEncoding,
		ContentDisposition: m.ContentDisposition, ContentLanguage: m.ContentLanguage,
		CacheControl: m.CacheControl, Expires: m.Expires,
		User: maps.Clone(m.UserMeta),
	}
}

// manifestInfo describes the object a manifest commits.
func manifestInfo(m *manifest.Manifest) ObjectInfo {
	info := ObjectInfo{
		Bucket: m.Bucket, Key: m.Key, Size: m.Size, ETag: m.ETag,
		LastModified: time.Unix(0, m.Modified).UTC(),
		Meta:         manifestMeta(m),
		Owner:        m.Owner,
		Encryption:   envelopeInfo(m.Envelope),
	}
	if len(m.Checksums) > 0 {
		info.Checksums = Checksums{Values: maps.Clone(m.Checksums), Type: m.ChecksumType}
	}
	if m.UploadID != "" {
		info.PartsCount = len(m.Parts)
	}
	info.VersionID = m.VersionID
	info.Lock = manifestLock(m)
	return info
}

// errOutcomeUnknown marks a failed metadata write whose effect is unknown: a
// backend timeout (RADOS op timeout, a hung OSD) may still apply the write
// later. Only storage.ErrPrecondition is a definite refusal.
var errOutcomeUnknown = errors.New("commit outcome unknown")

// discardUnlessUnknown deletes the new data of a failed commit, unless the
// commit's outcome is unknown: then the manifest may still land and point at
// that data, so deleting it would lose an object (found by the Ceph
// failure-injection suite). Data kept that way is at worst unreferenced, and
// shard names carry fresh data ids, so it never shadows anything.
func (s *Store) discardUnlessUnknown(ctx context.Context, err error, why string, own ...dataplane.Layout) {
	if errors.Is(err, errOutcomeUnknown) {
		s.log.Warn("object: commit outcome unknown; keeping the new shards", "err", err)
		return
	}
	s.deleteData(ctx, why, own...)
}
