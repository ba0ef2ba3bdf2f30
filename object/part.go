package object

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// storePart writes a part's data and commits its record, then re-reads the
// upload record to settle races with CompleteMultipartUpload and
// AbortMultipartUpload, which may run on another gateway meanwhile:
//   - upload still open: the replaced part's shards (if any) are deleted;
//   - upload claimed by a completion in progress: the replaced part's shards
//     are kept, since the completion may have stitched them into the object
//     (a rare leak is better than losing committed data);
//   - upload gone (completed or aborted): the new and the replaced part are
//     deleted unless the completed object's manifest references them; the
//     call fails with ErrNoSuchUpload unless the new part made it into the
//     object.
func (s *Store) storePart(ctx context.Context, rec *uploadRecord, n int, in *PutInput) (PartInfo, error) {
	started := s.now().UnixNano()
	key, err := s.openKey(ctx, kdf.Context{Account: rec.Owner, Bucket: rec.Bucket, Key: rec.Key, UploadID: rec.UploadID}, rec.Envelope)
	if err != nil {
		return PartInfo{}, mapEngineErr(fmt.Sprintf("upload %s: open key", rec.UploadID), err)
	}
	defer key.Destroy()
	// The part key's index entry is written while the body streams in, as
	// a PUT's is (a resend finds it there and writes nothing).
	rsv := s.reserveIndex(ctx, nsParts(rec.UploadID), partKey(n))
	defer rsv.end()
	res, err := s.writeData(ctx, dataSpec{in: in, key: key, part: uint32(n), md5: true, uploadAlgo: rec.Algo, maxSize: MaxPartSize,
		red: Redundancy{K: rec.K, M: rec.M}})
	if err != nil {
		return PartInfo{}, fmt.Errorf("object: upload %s part %d: %w", rec.UploadID, n, err)
	}
	l := res.layout
	if degraded(l) {
		if err := s.queueHeal(ctx, healPartKey(rec.UploadID, n), "degraded part write"); err != nil {
			s.deleteData(ctx, "heal record failed", l)
			return PartInfo{}, fmt.Errorf("object: upload %s part %d: %w", rec.UploadID, n, err)
		}
	}
	pr := partRecord{
		V: recordV1, Number: n, DataID: l.DataID, Size: l.Size, ChunkSize: l.ChunkSize,
		K: l.K, M: l.M, OSDs: l.OSDs, ETag: hex.EncodeToString(res.md5),
		Checksums: res.sums, Modified: s.now().UnixNano(), Started: started,
	}
	raw, err := json.Marshal(&pr)
	if err != nil {
		s.deleteData(ctx, "part record", l)
		return PartInfo{}, fmt.Errorf("object: upload %s part %d: %w", rec.UploadID, n, err)
	}
	rsv.wait()
	replaced, myVer, err := s.swapPart(ctx, rec.UploadID, n, raw, started)
	if errors.Is(err, errSuperseded) {
		// A resend of this part began after us and already committed: it
		// stays, and this copy of the data goes.
		s.retire(ctx, "superseded part upload", l)
		return pr.info(), nil
	}
	if err != nil {
		s.discardUnlessUnknown(ctx, err, "part commit failed", l)
		return PartInfo{}, err
	}
	cur, _, err := s.loadUpload(ctx, rec.Bucket, rec.Key, rec.UploadID, false)
	switch {
	case errors.Is(err, ErrNoSuchUpload) || errors.Is(err, ErrNoSuchBucket):
		return s.partAfterUploadGone(ctx, rec, &pr, myVer, replaced)
	case err != nil:
		s.log.Warn("object: upload re-check failed; keeping replaced part data", "upload", rec.UploadID, "part", n, "err", err)
	case cur.State == uploadAborting:
		return s.partAfterUploadGone(ctx, rec, &pr, myVer, replaced)
	case cur.State == uploadCompleting:
		s.log.Warn("object: part replaced during completion; keeping replaced part data", "upload", rec.UploadID, "part", n)
	default:
		s.retire(ctx, "part replaced", replaced...)
	}
	return pr.info(), nil
}

// partAfterUploadGone cleans up after a part committed into an upload that
// was completed or aborted meanwhile (see storePart).
func (s *Store) partAfterUploadGone(ctx context.Context, rec *uploadRecord, pr *partRecord, myVer storage.Version, replaced []dataplane.Layout) (PartInfo, error) {
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	if err := s.meta.Delete(cctx, nsParts(rec.UploadID), partKey(pr.Number), storage.Cond{IfVersion: myVer}); err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition) {
		s.log.Warn("object: orphan part record", "upload", rec.UploadID, "part", pr.Number, "err", err)
	} else if err := s.dropEmptyIndex(cctx, nsParts(rec.UploadID)); err != nil {
		// The upload's cleanup may have dropped the namespace's index
		// before this record re-created it.
		s.log.Warn("object: part index after upload ended", "upload", rec.UploadID, "err", err)
	}
	used, known := s.completedRefs(cctx, rec)
	if known {
		var drop []dataplane.Layout
		for _, l := range append(replaced, pr.layout()) {
			if !used[l.DataID] {
				drop = append(drop, l)
			}
		}
		s.retire(cctx, "upload ended during part upload", drop...)
	}
	if used[pr.DataID] {
		return pr.info(), nil
	}
	return PartInfo{}, fmt.Errorf("object: upload %s part %d: upload ended meanwhile: %w", rec.UploadID, pr.Number, ErrNoSuchUpload)
}

// completedRefs returns the data ids referenced by the object the upload
// completed into, if the key's current manifest is that upload's (nil when
// the manifest is absent or belongs to something else). ok is false when
// Meta could not answer; the caller then deletes nothing.
func (s *Store) completedRefs(ctx context.Context, rec *uploadRecord) (used map[[16]byte]bool, ok bool) {
	raw, _, err := s.meta.Get(ctx, nsObjects(rec.Bucket), rec.Key)
	if errors.Is(err, storage.ErrNotFound) {
		return s.versionUploadRefs(ctx, rec.Bucket, rec.Key, rec.UploadID), true
	}
	if err != nil {
		s.log.Warn("object: cannot tell whether an ended upload uses a part; keeping its data", "upload", rec.UploadID, "err", err)
		return nil, false
	}
	m, err := manifest.Unmarshal(raw)
	if err != nil || m.UploadID != rec.UploadID {
		return s.versionUploadRefs(ctx, rec.Bucket, rec.Key, rec.UploadID), true
	}
	used = make(map[[16]byte]bool, len(m.Parts))
	for i := range m.Parts {
		used[m.Parts[i].DataID] = true
	}
	return used, true
}

// errSuperseded reports that a part upload lost to one that started later.
var errSuperseded = errors.New("object: part superseded by a later upload")

// swapPart commits a part record with a compare-and-swap loop and returns
// the layout(s) of the record it replaced, plus the version it wrote. A
// record written by an upload that started after started is kept, and
// errSuperseded returned.
//
// The first upload of a part number, by far the common case, reads
// nothing: a write guarded by IfAbsent decides that no record exists.
// Only when one does is it read, to be replaced by version.
func (s *Store) swapPart(ctx context.Context, id string, n int, raw []byte, started int64) ([]dataplane.Layout, storage.Version, error) {
	ns, k := nsParts(id), partKey(n)
	v, err := s.meta.Put(ctx, ns, k, raw, storage.Cond{IfAbsent: true})
	switch {
	case err == nil:
		return nil, v, nil
	case !errors.Is(err, storage.ErrPrecondition):
		return nil, 0, fmt.Errorf("object: upload %s part %d: %w: %w", id, n, errOutcomeUnknown, err)
	}
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		old, ver, err := s.meta.Get(ctx, ns, k)
		cond := storage.Cond{IfVersion: ver}
		switch {
		case errors.Is(err, storage.ErrNotFound):
			old, cond = nil, storage.Cond{IfAbsent: true}
		case err != nil:
			return nil, 0, fmt.Errorf("object: upload %s part %d: %w", id, n, err)
		}
		if old != nil {
			var op partRecord
			if decodeRecord(old, &op, &op.V) == nil && op.Started > started {
				return nil, 0, fmt.Errorf("object: upload %s part %d: %w", id, n, errSuperseded)
			}
		}
		v, err := s.meta.Put(ctx, ns, k, raw, cond)
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("object: upload %s part %d: %w: %w", id, n, errOutcomeUnknown, err)
		}
		var replaced []dataplane.Layout
		if old != nil {
			var op partRecord
			if decodeRecord(old, &op, &op.V) == nil {
				replaced = append(replaced, op.layout())
			}
		}
		return replaced, v, nil
	}
	return nil, 0, fmt.Errorf("object: upload %s part %d: %w: too much contention", id, n, storage.ErrPrecondition)
}
