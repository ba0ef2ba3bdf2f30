package object

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Multipart limits from the S3 specification.
const (
	// MaxPartSize is the largest part (5 GiB).
	MaxPartSize = 5 << 30
	// MinPartSize is the smallest part other than the last (5 MiB).
	MinPartSize = 5 << 20
	// completeClaimTTL is how long a CompleteMultipartUpload's claim on an
	// upload protects it from AbortMultipartUpload and expiry. Completion is
	// metadata work (list, sign, commit) that takes well under a second; the
	// TTL only matters when a completer crashed mid-way and the retry
	// lists other parts (the same list takes over at once) or an Abort
	// comes: a completer gives up unless it commits within TTL/2.
	completeClaimTTL = 30 * time.Second
)

// CreateMultipartUpload starts an upload. The upload gets ONE data key
// (kdf context with the upload id, bound to the bucket owner's account like
// PutObject); its envelope is stored in the upload record in Meta, so any
// gateway process can accept parts. Each part is sealed under that key with
// its own fresh random data id, so re-uploading a part number never reuses
// a nonce. checksumAlgo is "", "<algo>" or "<algo>:<TYPE>" (see
// MultipartChecksum); owner is the initiator.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, meta ObjectMeta, checksumAlgo, owner string) (Upload, error) {
	if err := checkKey(key); err != nil {
		return Upload{}, err
	}
	if err := checkMeta(meta); err != nil {
		return Upload{}, err
	}
	if err := ValidateTags(meta.Tags, MaxObjectTags); err != nil {
		return Upload{}, err
	}
	algo, typ, err := parseUploadChecksum(checksumAlgo)
	if err != nil {
		return Upload{}, err
	}
	bk, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return Upload{}, err
	}
	if meta.Lock != nil {
		// The checks of PUT, now: a bucket without Object Lock, a bad mode
		// or a past date is refused before any part is uploaded.
		if err := s.applyLock(bk, &manifest.Manifest{Modified: s.now().UnixNano()}, *meta.Lock); err != nil {
			return Upload{}, fmt.Errorf("object: create upload %s/%s: %w", bucket, key, err)
		}
	}
	var idRaw [32]byte
	if _, err := rand.Read(idRaw[:]); err != nil {
		return Upload{}, fmt.Errorf("object: upload id: %w", err)
	}
	id := hex.EncodeToString(idRaw[:])
	dataKey, env, err := s.newKey(ctx, bk, kdf.Context{Account: bk.Owner, Bucket: bucket, Key: key, UploadID: id})
	if err != nil {
		return Upload{}, fmt.Errorf("object: create upload %s/%s: new key: %w", bucket, key, err)
	}
	dataKey.Destroy() // only the envelope is kept; parts re-open it
	rec := uploadRecord{
		V: recordV1, Bucket: bucket, Key: key, UploadID: id,
		Owner: bk.Owner, Initiator: owner, Initiated: s.now().UnixNano(),
		Meta: meta, Algo: algo, Type: typ, Envelope: env,
	}
	lay := s.layoutOf(bk)
	rec.K, rec.M = lay.K, lay.M
	raw, err := json.Marshal(&rec)
	if err != nil {
		return Upload{}, fmt.Errorf("object: create upload %s/%s: %w", bucket, key, err)
	}
	ver, err := s.meta.Put(ctx, nsUploads(bucket), uploadKey(key, id), raw, storage.Cond{IfAbsent: true})
	if err != nil {
		return Upload{}, fmt.Errorf("object: create upload %s/%s: %w", bucket, key, err)
	}
	// Withdraw the upload if a DeleteBucket removed the bucket meanwhile
	// (see DeleteBucket).
	if _, _, err := s.bucket(ctx, bucket); errors.Is(err, ErrNoSuchBucket) {
		cctx, cancel := cleanupCtx(ctx)
		defer cancel()
		s.meta.Delete(cctx, nsUploads(bucket), uploadKey(key, id), storage.Cond{IfVersion: ver})
		return Upload{}, fmt.Errorf("object: create upload %s/%s: bucket deleted meanwhile: %w", bucket, key, ErrNoSuchBucket)
	}
	return rec.info(), nil
}

// loadUpload reads an upload record. Unknown uploads, and uploads already
// claimed by a completion, are ErrNoSuchUpload when active is set.
func (s *Store) loadUpload(ctx context.Context, bucket, key, id string, active bool) (*uploadRecord, storage.Version, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	if !ValidBucketName(bucket) {
		return nil, 0, fmt.Errorf("object: bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	raw, ver, err := s.meta.Get(ctx, nsUploads(bucket), uploadKey(key, id))
	if errors.Is(err, storage.ErrNotFound) {
		if _, _, berr := s.bucket(ctx, bucket); berr != nil {
			return nil, 0, berr
		}
		return nil, 0, fmt.Errorf("object: upload %s of %s/%s: %w", id, bucket, key, ErrNoSuchUpload)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("object: upload %s of %s/%s: %w", id, bucket, key, err)
	}
	var rec uploadRecord
	if err := decodeRecord(raw, &rec, &rec.V); err != nil {
		return nil, ver, fmt.Errorf("object: upload %s of %s/%s: %w: %w", id, bucket, key, errDamagedRecord, err)
	}
	if rec.Bucket != bucket || rec.Key != key || rec.UploadID != id {
		return nil, 0, fmt.Errorf("object: upload %s of %s/%s: record names %s/%s: %w", id, bucket, key, rec.Bucket, rec.Key, ErrNoSuchUpload)
	}
	if active && rec.State != "" {
		return nil, 0, fmt.Errorf("object: upload %s of %s/%s is being %s: %w", id, bucket, key, rec.State, ErrNoSuchUpload)
	}
	return &rec, ver, nil
}

// checkPartNumber validates a part number (1..10000).
func checkPartNumber(n int) error {
	if n < 1 || n > MaxPartNumber {
		return fmt.Errorf("%w: part number %d (must be 1..%d)", ErrInvalidArgument, n, MaxPartNumber)
	}
	return nil
}

// UploadPart stores one part of an upload (in.Bucket/in.Key name it). The
// part's ETag is always the hex MD5 of its bytes, because the multipart
// ETag is defined over the part MD5s; Content-MD5 and checksums are verified
// as for PutObject, and the upload's checksum algorithm is always computed.
func (s *Store) UploadPart(ctx context.Context, uploadID string, partNumber int, in PutInput) (PartInfo, error) {
	if err := checkPartNumber(partNumber); err != nil {
		return PartInfo{}, err
	}
	rec, _, err := s.loadUpload(ctx, in.Bucket, in.Key, uploadID, true)
	if err != nil {
		return PartInfo{}, err
	}
	if err := checkLockedPart(rec, &in); err != nil {
		return PartInfo{}, err
	}
	info, err := s.storePart(ctx, rec, partNumber, &in)
	info.Encryption = envelopeInfo(rec.Envelope)
	return info, err
}

// UploadPartCopy stores a part copied from (a byte range of) another object,
// decrypted and re-sealed under the upload's key.
func (s *Store) UploadPartCopy(ctx context.Context, uploadID string, partNumber int, dstBucket, dstKey string, src CopyInput) (PartInfo, error) {
	if err := checkPartNumber(partNumber); err != nil {
		return PartInfo{}, err
	}
	rec, _, err := s.loadUpload(ctx, dstBucket, dstKey, uploadID, true)
	if err != nil {
		return PartInfo{}, err
	}
	m, ver, err := s.copySource(ctx, src)
	if err != nil {
		return PartInfo{}, err
	}
	rng := Range{Start: 0, Length: m.Size}
	if src.SrcRange != "" {
		if rng, err = parseCopyRange(src.SrcRange, m.Size); err != nil {
			return PartInfo{}, err
		}
	}
	if rng.Length > MaxPartSize {
		return PartInfo{}, fmt.Errorf("object: upload part copy: %d bytes: %w", rng.Length, ErrEntityTooLarge)
	}
	var info PartInfo
	err = s.streamSource(ctx, m, ver, rng, func(r io.Reader) error {
		in := PutInput{Bucket: dstBucket, Key: dstKey, Body: r, Size: rng.Length}
		var perr error
		info, perr = s.storePart(ctx, rec, partNumber, &in)
		return perr
	})
	if err != nil {
		return PartInfo{}, err
	}
	info.Encryption = envelopeInfo(rec.Envelope)
	return info, nil
}

// AbortMultipartUpload removes an upload. The record is first marked
// aborting (a compare-and-swap, so no new part can commit unnoticed, see
// storePart), then every part's data gets a durable GC record and its part
// record goes, and only then the upload record: a crash at any point leaves
// a record that a retried Abort finishes. An upload claimed by a
// completion younger than completeClaimTTL is ErrNoSuchUpload; an older
// claim (a crashed completer) can be aborted. Parts that the key's current
// object uses (a completion that committed) are kept.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		rec, ver, err := s.loadUpload(ctx, bucket, key, uploadID, false)
		if errors.Is(err, errDamagedRecord) {
			return s.finishAbort(ctx, bucket, key, uploadID, 0)
		}
		if err != nil {
			return err
		}
		if rec.State == uploadAborting {
			return s.finishAbort(ctx, bucket, key, uploadID, ver)
		}
		if rec.State == uploadCompleting && s.now().Sub(time.Unix(0, rec.Claimed)) < completeClaimTTL {
			return fmt.Errorf("object: abort upload %s: being completed: %w", uploadID, ErrNoSuchUpload)
		}
		mark := *rec
		mark.State, mark.Claimed = uploadAborting, s.now().UnixNano()
		raw, err := json.Marshal(&mark)
		if err != nil {
			return fmt.Errorf("object: abort upload %s: %w", uploadID, err)
		}
		ver, err = s.meta.Put(ctx, nsUploads(bucket), uploadKey(key, uploadID), raw, storage.Cond{IfVersion: ver})
		switch {
		case errors.Is(err, storage.ErrPrecondition):
			continue
		case err != nil:
			return fmt.Errorf("object: abort upload %s: %w", uploadID, err)
		}
		return s.finishAbort(ctx, bucket, key, uploadID, ver)
	}
	return fmt.Errorf("object: abort upload %s: %w: too much contention", uploadID, storage.ErrPrecondition)
}

// finishAbort drops the parts of an upload marked aborting (or whose record
// is damaged), then its record (guarded by ver when non-zero).
func (s *Store) finishAbort(ctx context.Context, bucket, key, uploadID string, ver storage.Version) error {
	if err := s.dropParts(ctx, uploadID, s.partsInUse(ctx, bucket, key, uploadID), nil); err != nil {
		return fmt.Errorf("object: abort upload %s: %w", uploadID, err)
	}
	err := s.meta.Delete(ctx, nsUploads(bucket), uploadKey(key, uploadID), storage.Cond{IfVersion: ver})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("object: abort upload %s: %w", uploadID, err)
	}
	return nil
}

// dropParts removes every part record of an upload; the data of each part
// whose data id is not in keep (the parts a completed object uses) first
// gets a durable GC record, so a crash in between leaves nothing behind
// that a retry or orphan GC would not find. known holds records the caller
// has just listed (Complete's): they are dropped without listing them
// again, each guarded by the version read, so a record replaced meanwhile
// is left to the listing that follows, which catches whatever else is
// still there.
//
// The records of a page are dropped dropPartsParallel at a time: each
// delete waits for its tombstones' fsyncs and an index update, so one at a
// time a 1 GiB upload of 16 MiB parts spent about a second in Complete on
// them; in parallel the waits overlap and the sealed index batches the
// concurrent removals into fewer leaf writes (64 parts: about 26 leaf and
// record writes under the sealing 8 at a time, 11 at 32). Order does not
// matter: the upload record, deleted after this returns, is what a retry
// looks for. Once no record is left, the part namespace's index is dropped
// (dropEmptyIndex), so an ended upload leaves nothing in Meta.
func (s *Store) dropParts(ctx context.Context, uploadID string, keep map[[16]byte]bool, known []storage.Entry) error {
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	ns := nsParts(uploadID)
	if err := s.dropPage(cctx, uploadID, ns, known, keep, true); err != nil {
		return err
	}
	for {
		page, err := s.meta.List(cctx, ns, "", "", listPage)
		if err != nil {
			return fmt.Errorf("object: upload %s: list parts: %w", uploadID, err)
		}
		if len(page) == 0 {
			// The namespace's index goes too (else the sealed index keeps
			// its empty head leaf forever), before the upload record: a
			// crash before it leaves the record, whose retry, abort or
			// expiry comes back here.
			if err := s.dropEmptyIndex(cctx, ns); err != nil {
				return fmt.Errorf("object: upload %s: drop part index: %w", uploadID, err)
			}
			return nil
		}
		if err := s.dropPage(cctx, uploadID, ns, page, keep, false); err != nil {
			return err
		}
	}
}

// dropPage drops the part records of page, dropPartsParallel at a time;
// guarded, each only at the version listed.
func (s *Store) dropPage(ctx context.Context, uploadID, ns string, page []storage.Entry, keep map[[16]byte]bool, guarded bool) error {
	errs := make([]error, len(page))
	sem := make(chan struct{}, dropPartsParallel)
	var wg sync.WaitGroup
	for i, e := range page {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = s.dropPart(ctx, uploadID, ns, e, keep, guarded)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// dropPartsParallel bounds the part records dropParts deletes at once.
const dropPartsParallel = 32

// dropPart retires one part's data (unless keep holds it), then deletes
// its record (guarded: only at the version e was read at; a record
// replaced or gone meanwhile is left as it is).
func (s *Store) dropPart(ctx context.Context, uploadID, ns string, e storage.Entry, keep map[[16]byte]bool, guarded bool) error {
	var pr partRecord
	if derr := decodeRecord(e.Value, &pr, &pr.V); derr == nil && !keep[pr.DataID] {
		if err := s.retireDurably(ctx, "upload cleanup", pr.layout()); err != nil {
			return fmt.Errorf("object: upload %s part %s: %w", uploadID, e.Key, err)
		}
	}
	var cond storage.Cond
	if guarded {
		cond.IfVersion = e.Version
	}
	derr := s.meta.Delete(ctx, ns, e.Key, cond)
	if derr != nil && !errors.Is(derr, storage.ErrNotFound) && !(guarded && errors.Is(derr, storage.ErrPrecondition)) {
		return fmt.Errorf("object: upload %s: delete part record %s: %w", uploadID, e.Key, derr)
	}
	return nil
}

// partsInUse returns the data ids of the current object at key when that
// object was completed from uploadID: a completion whose commit outcome was
// unknown may have landed after all, and its parts must then survive the
// upload's abort or expiry.
func (s *Store) partsInUse(ctx context.Context, bucket, key, uploadID string) map[[16]byte]bool {
	raw, _, err := s.meta.Get(ctx, nsObjects(bucket), key)
	if err != nil {
		return s.versionUploadRefs(ctx, bucket, key, uploadID)
	}
	m, err := manifest.Unmarshal(raw)
	if err != nil || m.UploadID != uploadID {
		return s.versionUploadRefs(ctx, bucket, key, uploadID)
	}
	keep := make(map[[16]byte]bool, len(m.Parts))
	for i := range m.Parts {
		keep[m.Parts[i].DataID] = true
	}
	return keep
}

// versionUploadRefs returns the data ids of a version of key that was
// completed from uploadID (in a versioned bucket the completed object may
// no longer be the current one), or nil.
func (s *Store) versionUploadRefs(ctx context.Context, bucket, key, uploadID string) map[[16]byte]bool {
	var keep map[[16]byte]bool
	err := s.keyVersions(ctx, bucket, key, func(e versionEntry) bool {
		if isMarker(e.raw) {
			return true
		}
		m, err := manifest.Unmarshal(e.raw)
		if err != nil || m.UploadID != uploadID {
			return true
		}
		keep = make(map[[16]byte]bool, len(m.Parts))
		for i := range m.Parts {
			keep[m.Parts[i].DataID] = true
		}
		return false
	})
	if err != nil {
		s.log.Warn("object: cannot tell whether a version uses an upload's parts", "upload", uploadID, "err", err)
	}
	return keep
}
