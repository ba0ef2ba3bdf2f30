package object

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// CompleteMultipartUpload stitches the listed parts into one object. Parts
// must be listed in ascending order (ErrInvalidPartOrder), each must exist
// with the given ETag (ErrInvalidPart), and every part but the last must be
// at least 5 MiB (ErrEntityTooSmall). The object manifest references the
// parts' shards directly — no data is copied or re-encrypted — and its ETag
// is hex(MD5(raw part MD5s))-N. With a checksum algorithm the object
// checksum is COMPOSITE (the algorithm over the part checksums, "-N") or
// FULL_OBJECT (CRCs combined mathematically, equal to a single PUT's).
//
// The upload is first claimed in Meta (a compare-and-swap on its record), so
// two completions, or a completion and an abort, cannot both proceed;
// completing an unknown or already completed upload is ErrNoSuchUpload. A
// failed validation releases the claim so the client can fix its request.
// What the client declared about the result (opts: whole-object checksum,
// checksum type, total size) is checked the same way, before the commit, so
// a mismatch never becomes visible and the upload stays as it was. After
// the commit, parts uploaded but not listed lose their shards, and the part
// and upload records are removed.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts CompleteOptions) (ObjectInfo, error) {
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("%w: you must specify at least one part", ErrInvalidArgument)
	}
	want, err := opts.parse()
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: complete upload %s: %w", uploadID, err)
	}
	for i, p := range parts {
		if err := checkPartNumber(p.PartNumber); err != nil {
			return ObjectInfo{}, err
		}
		if i > 0 && p.PartNumber <= parts[i-1].PartNumber {
			return ObjectInfo{}, fmt.Errorf("object: complete upload %s: part %d after %d: %w", uploadID, p.PartNumber, parts[i-1].PartNumber, ErrInvalidPartOrder)
		}
	}
	listHash := partListHash(parts)
	rec, ver, err := s.loadUpload(ctx, bucket, key, uploadID, false)
	if errors.Is(err, ErrNoSuchUpload) {
		// A retry of a Complete that committed and cleaned up: answer with
		// the object it made, if the key still holds it.
		if info, ok := s.completedObject(ctx, bucket, key, uploadID, parts); ok {
			return info, nil
		}
		return ObjectInfo{}, err
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	switch rec.State {
	case uploadAborting:
		return ObjectInfo{}, fmt.Errorf("object: complete upload %s: being aborted: %w", uploadID, ErrNoSuchUpload)
	case uploadCompleting:
		// A previous attempt committed and died before its cleanup:
		// finish the cleanup and answer with the object.
		if info, ok := s.completedObject(ctx, bucket, key, uploadID, parts); ok {
			s.finishComplete(ctx, rec, ver, s.partsInUse(ctx, bucket, key, uploadID), nil)
			return info, nil
		}
		// A retry with the same part list takes over at once: both
		// attempts build the same object from the same parts, so racing
		// a live one is harmless. Another list waits out the claim.
		if rec.Parts != listHash && s.now().Sub(time.Unix(0, rec.Claimed)) < completeClaimTTL {
			return ObjectInfo{}, fmt.Errorf("object: complete upload %s is being completed with other parts: %w", uploadID, ErrNoSuchUpload)
		}
	}
	// A failed condition leaves the upload as it was, so the client can
	// complete it later (it is re-checked atomically at the commit).
	if err := s.checkWriteCondition(ctx, bucket, key, opts.Cond); err != nil {
		return ObjectInfo{}, err
	}
	orig := *rec
	orig.State, orig.Claimed, orig.Parts = "", 0, ""
	claim := *rec
	claim.State, claim.Claimed, claim.Parts = uploadCompleting, s.now().UnixNano(), listHash
	raw, err := json.Marshal(&claim)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: complete upload %s: %w", uploadID, err)
	}
	claimVer, err := s.meta.Put(ctx, nsUploads(bucket), uploadKey(key, uploadID), raw, storage.Cond{IfVersion: ver})
	if errors.Is(err, storage.ErrPrecondition) {
		return ObjectInfo{}, fmt.Errorf("object: complete upload %s: completed or aborted concurrently: %w", uploadID, ErrNoSuchUpload)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("object: complete upload %s: %w", uploadID, err)
	}
	// The key's index entry is written while the parts are read and
	// checked, as a PUT's is beside its data (a key that exists already
	// costs nothing; a failed completion leaves an entry List skips).
	rsv := s.reserveIndex(ctx, nsObjects(bucket), key)
	defer rsv.end()
	m, keep, seen, err := s.buildCompleted(ctx, &claim, parts)
	if errors.Is(err, ErrInvalidPart) {
		// A racing attempt with the same list may have committed and
		// dropped the part records under us.
		if info, ok := s.completedObject(ctx, bucket, key, uploadID, parts); ok {
			return info, nil
		}
	}
	if err == nil {
		err = want.check(&claim, m)
	}
	if err == nil {
		if time.Duration(s.now().UnixNano()-claim.Claimed) > completeClaimTTL/2 {
			err = fmt.Errorf("object: complete upload %s: claim expired: %w", uploadID, context.DeadlineExceeded)
		} else if manifestDegraded(m) {
			// The parts' own heal records go with their part records.
			err = s.queueHeal(ctx, healObjectKey(m.Bucket, m.Key), "degraded part in completed object")
		}
		if err == nil {
			rsv.wait()
			err = s.commitCompleted(ctx, m, claim.Meta.Lock, opts)
		}
	}
	if errors.Is(err, errOutcomeUnknown) {
		// The manifest may still land and use these parts: keep the claim
		// (Abort refuses while it is fresh, and afterwards checks whether the
		// object now belongs to this upload before deleting any part data).
		return ObjectInfo{}, err
	}
	if err != nil {
		s.releaseClaim(ctx, &orig, claimVer)
		return ObjectInfo{}, err
	}
	s.applyWriteTags(ctx, m, claim.Meta.Tags)
	s.finishComplete(ctx, &claim, claimVer, keep, seen)
	return manifestInfo(m), nil
}

// finishComplete drops the parts the completed object does not use (via
// GC records) and the part records (seen: those the completion listed),
// then the upload record. A crash anywhere leaves the record claimed; a
// retried Complete (or Abort) finds the committed object and finishes the
// job.
func (s *Store) finishComplete(ctx context.Context, rec *uploadRecord, ver storage.Version, keep map[[16]byte]bool, seen []storage.Entry) {
	if err := s.dropParts(ctx, rec.UploadID, keep, seen); err != nil {
		s.log.Warn("object: upload cleanup after complete", "upload", rec.UploadID, "err", err)
		return
	}
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	if err := s.meta.Delete(cctx, nsUploads(rec.Bucket), uploadKey(rec.Key, rec.UploadID), storage.Cond{IfVersion: ver}); err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.log.Warn("object: upload record after complete", "upload", rec.UploadID, "err", err)
	}
}

// completedObject returns the object at bucket/key when it was completed
// from uploadID with exactly the listed parts: the answer to a retried
// Complete whose first attempt committed.
func (s *Store) completedObject(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, bool) {
	m, _, err := s.openManifest(ctx, bucket, key)
	if err != nil || m.UploadID != uploadID || len(m.Parts) != len(parts) {
		return ObjectInfo{}, false
	}
	for i, cp := range parts {
		if int(m.Parts[i].Number) != cp.PartNumber || m.Parts[i].ETag != strings.Trim(cp.ETag, `"`) {
			return ObjectInfo{}, false
		}
	}
	return manifestInfo(m), true
}

// partListHash identifies a Complete request's part list, so a retry can
// be told from a different request.
func partListHash(parts []CompletePart) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", p.PartNumber, strings.Trim(p.ETag, `"`))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// releaseClaim puts the unclaimed upload record back after a failed
// completion.
func (s *Store) releaseClaim(ctx context.Context, orig *uploadRecord, claimVer storage.Version) {
	raw, err := json.Marshal(orig)
	if err == nil {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		_, err = s.meta.Put(cctx, nsUploads(orig.Bucket), uploadKey(orig.Key, orig.UploadID), raw, storage.Cond{IfVersion: claimVer})
	}
	if err != nil {
		s.log.Warn("object: could not release completion claim", "upload", orig.UploadID, "err", err)
	}
}

// buildCompleted validates the requested parts against the stored part
// records and builds (unsigned) the object manifest. keep holds the data ids
// the object uses; seen, the part records as listed.
func (s *Store) buildCompleted(ctx context.Context, rec *uploadRecord, parts []CompletePart) (m *manifest.Manifest, keep map[[16]byte]bool, seen []storage.Entry, err error) {
	stored, seen, err := s.partEntries(ctx, rec.UploadID)
	if err != nil {
		return nil, nil, nil, err
	}
	m, keep, err = s.manifestOf(rec, parts, stored)
	return m, keep, seen, err
}

// manifestOf is buildCompleted over the stored part records.
func (s *Store) manifestOf(rec *uploadRecord, parts []CompletePart, stored map[int]*partRecord) (*manifest.Manifest, map[[16]byte]bool, error) {
	m := &manifest.Manifest{
		Bucket: rec.Bucket, Key: rec.Key, Owner: rec.Owner, UploadID: rec.UploadID,
		Modified: s.now().UnixNano(), Envelope: rec.Envelope,
		Parts: make([]manifest.Part, 0, len(parts)),
	}
	setMeta(m, rec.Meta)
	keep := make(map[[16]byte]bool, len(parts))
	etags := md5.New()
	sums := make([]partChecksum, 0, len(parts))
	for _, cp := range parts {
		pr, ok := stored[cp.PartNumber]
		if !ok {
			return nil, nil, fmt.Errorf("object: complete upload %s: part %d was not uploaded: %w", rec.UploadID, cp.PartNumber, ErrInvalidPart)
		}
		if strings.Trim(cp.ETag, `"`) != pr.ETag {
			return nil, nil, fmt.Errorf("object: complete upload %s: part %d ETag %q is not %q: %w", rec.UploadID, cp.PartNumber, cp.ETag, pr.ETag, ErrInvalidPart)
		}
		for algo, v := range cp.Checksums {
			if pr.Checksums[strings.ToLower(algo)] != v {
				return nil, nil, fmt.Errorf("object: complete upload %s: part %d checksum %s does not match: %w", rec.UploadID, cp.PartNumber, algo, ErrInvalidPart)
			}
		}
	}
	// Sizes are checked only once every part is known to exist, so a
	// missing or mismatched part is reported as such (InvalidPart), as S3
	// does, rather than as a too-small neighbour.
	for i, cp := range parts[:len(parts)-1] {
		if pr := stored[cp.PartNumber]; pr.Size < s.minPart {
			return nil, nil, fmt.Errorf("object: complete upload %s: part %d (#%d) has %d bytes: %w", rec.UploadID, cp.PartNumber, i+1, pr.Size, ErrEntityTooSmall)
		}
	}
	for _, cp := range parts {
		pr := stored[cp.PartNumber]
		raw, err := hex.DecodeString(pr.ETag)
		if err != nil || len(raw) != md5.Size {
			return nil, nil, fmt.Errorf("object: complete upload %s: part %d has a corrupt ETag: %w", rec.UploadID, cp.PartNumber, ErrInvalidPart)
		}
		etags.Write(raw)
		if rec.Algo != "" {
			v, ok := pr.Checksums[rec.Algo]
			if !ok {
				return nil, nil, fmt.Errorf("object: complete upload %s: part %d lacks its %s checksum: %w", rec.UploadID, cp.PartNumber, rec.Algo, ErrInvalidPart)
			}
			raw, err := decodeChecksum(rec.Algo, v)
			if err != nil {
				return nil, nil, err
			}
			sums = append(sums, partChecksum{raw: raw, size: pr.Size})
		}
		m.Parts = append(m.Parts, manifestPart(pr.layout(), pr.ETag, pr.Checksums))
		m.Size += pr.Size
		keep[pr.DataID] = true
	}
	m.ETag = fmt.Sprintf("%x-%d", etags.Sum(nil), len(parts))
	if rec.Algo != "" {
		v, err := multipartChecksum(rec.Algo, rec.Type, sums)
		if err != nil {
			return nil, nil, err
		}
		setChecksums(m, map[string]string{rec.Algo: v}, rec.Type)
	}
	return m, keep, nil
}

// allParts loads every part record of an upload, keyed by part number.
func (s *Store) allParts(ctx context.Context, uploadID string) (map[int]*partRecord, error) {
	out, _, err := s.partEntries(ctx, uploadID)
	return out, err
}

// partEntries is allParts, also returning the records as listed.
func (s *Store) partEntries(ctx context.Context, uploadID string) (map[int]*partRecord, []storage.Entry, error) {
	out := make(map[int]*partRecord)
	var seen []storage.Entry
	after := ""
	for {
		page, err := s.meta.List(ctx, nsParts(uploadID), "", after, listPage)
		if err != nil {
			return nil, nil, fmt.Errorf("object: upload %s: list parts: %w", uploadID, err)
		}
		for _, e := range page {
			var pr partRecord
			if err := decodeRecord(e.Value, &pr, &pr.V); err != nil {
				return nil, nil, fmt.Errorf("object: upload %s part %s: %w", uploadID, e.Key, err)
			}
			out[pr.Number] = &pr
		}
		seen = append(seen, page...)
		if len(page) < listPage {
			return out, seen, nil
		}
		after = page[len(page)-1].Key
	}
}

// commitCompleted commits a completed upload's manifest: over the current
// object, or as a new version in a bucket whose versioning was configured
// (with the lock state the upload asked for, else the bucket's default
// retention). The parts' data is never deleted here whatever happens: the
// caller releases or keeps its claim.
func (s *Store) commitCompleted(ctx context.Context, m *manifest.Manifest, lock *LockInput, opts CompleteOptions) error {
	wc := opts.Cond
	bk, _, err := s.bucket(ctx, m.Bucket)
	if err != nil {
		return err
	}
	var in LockInput
	if lock != nil {
		in = *lock
	}
	if bk.Versioning == "" {
		if !in.IsZero() {
			return fmt.Errorf("object: complete %s/%s: %w", m.Bucket, m.Key, errNoLockConfig)
		}
		_, err = s.signAndSwap(ctx, m, wc)
		return err
	}
	if err := s.applyLock(bk, m, in); err != nil {
		return err
	}
	if err := presetVersion(bk, m, opts.VersionID); err != nil {
		return err
	}
	_, err = s.commitVersion(ctx, bk, m, wc)
	return err
}
