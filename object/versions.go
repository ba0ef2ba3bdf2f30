package object

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Version layout (docs/FORMAT.md, "Object versions").
//
// A bucket whose versioning was ever configured keeps every version of a
// key, delete markers included, in "ver/<bucket>" under
// key + "\x00" + seg, where seg starts with 16 hex digits of the inverted
// commit time (MaxUint64 - unix ns): one key's versions sort newest first,
// right after each other, and keys sort as in "obj/<bucket>". A real
// version's id IS its seg (those 16 digits + 16 random hex digits), so a
// GET by version id is one Meta read. The null version's seg is the 16
// digits + "null"; finding it scans the key's versions.
//
// "obj/<bucket>"/key keeps a copy of the newest version's manifest (absent
// when the newest is a delete marker), so GET, HEAD and ListObjectsV2 read
// exactly what they read in an unversioned bucket. Every change writes
// ver/ first and then brings obj/ in line with the newest ver/ entry
// (syncCurrent): a crash in between leaves obj/ one step behind, and the
// next change of the key or a heal pass of it repairs that.
//
// A manifest's VersionID is "" only for an object written before the
// bucket's versioning was configured; the first versioned change of its
// key re-signs it as the null version ("null") into ver/ (ensureHistory).

const (
	verSegLen  = 32 // hex digits of a real version id
	timeHexLen = 16
	nullSuffix = "null"
)

func nsVersions(bucket string) string { return "ver/" + bucket }

func versionKey(key, seg string) string { return key + "\x00" + seg }

// splitVersionKey splits a ver/ key into object key and seg.
func splitVersionKey(k string) (key, seg string, ok bool) {
	i := strings.IndexByte(k, 0)
	if i < 0 {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}

func invTimeHex(ns int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ^uint64(ns))
	return hex.EncodeToString(b[:])
}

// newVersionID returns a fresh, time-ordered, opaque, URL-safe version id.
func newVersionID(ns int64) (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("object: version id: %w", err)
	}
	return invTimeHex(ns) + hex.EncodeToString(r[:]), nil
}

// validVersionID reports whether id has the shape of a real version id.
func validVersionID(id string) bool {
	if len(id) != verSegLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkVersionID refuses a version id that is neither "null" nor well formed.
func checkVersionID(id string) error {
	if id == NullVersion || validVersionID(id) {
		return nil
	}
	return fmt.Errorf("%w: invalid version id specified", ErrInvalidArgument)
}

// segOf returns the ver/ seg of a version id and commit time.
func segOf(versionID string, modified int64) string {
	if versionID == "" || versionID == NullVersion {
		return invTimeHex(modified) + nullSuffix
	}
	return versionID
}

// reportedVersion is the version id a manifest's VersionID reports.
func reportedVersion(v string) string {
	if v == "" {
		return NullVersion
	}
	return v
}

// markerRecord is a delete marker in ver/. It carries no data, so it is
// not signed: a forged marker can only hide a key, which whoever can write
// Meta can do anyway.
type markerRecord struct {
	V         int    `json:"v"`
	Marker    bool   `json:"marker"`
	Key       string `json:"key"`
	VersionID string `json:"vid"`
	Modified  int64  `json:"mod"`
	Owner     string `json:"owner,omitempty"`
}

// isMarker reports whether a ver/ value is a delete marker (manifests
// start with their magic "RFSM").
func isMarker(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

func decodeMarker(raw []byte) (*markerRecord, error) {
	var r markerRecord
	if err := decodeRecord(raw, &r, &r.V); err != nil {
		return nil, err
	}
	if !r.Marker {
		return nil, fmt.Errorf("object: not a delete marker: %w", errDamagedRecord)
	}
	return &r, nil
}

// versionEntry is one ver/ entry of a key.
type versionEntry struct {
	seg string
	raw []byte
	ver storage.Version
}

// keyVersions calls fn for each ver/ entry of key, newest first, until fn
// returns false.
func (s *Store) keyVersions(ctx context.Context, bucket, key string, fn func(e versionEntry) bool) error {
	prefix := key + "\x00"
	after := ""
	for {
		page, err := s.meta.List(ctx, nsVersions(bucket), prefix, after, listPage)
		if err != nil {
			return fmt.Errorf("object: versions of %s/%s: %w", bucket, key, err)
		}
		for _, e := range page {
			if !fn(versionEntry{seg: e.Key[len(prefix):], raw: e.Value, ver: e.Version}) {
				return nil
			}
		}
		if len(page) < listPage {
			return nil
		}
		after = page[len(page)-1].Key
	}
}

// findVersion returns the ver/ entry of versionID ("null" scans the key's
// versions); ok is false when there is none.
func (s *Store) findVersion(ctx context.Context, bucket, key, versionID string) (versionEntry, bool, error) {
	if versionID != NullVersion {
		raw, ver, err := s.meta.Get(ctx, nsVersions(bucket), versionKey(key, versionID))
		if errors.Is(err, storage.ErrNotFound) {
			return versionEntry{}, false, nil
		}
		if err != nil {
			return versionEntry{}, false, fmt.Errorf("object: %s/%s version %s: %w", bucket, key, versionID, err)
		}
		return versionEntry{seg: versionID, raw: raw, ver: ver}, true, nil
	}
	var found versionEntry
	ok := false
	err := s.keyVersions(ctx, bucket, key, func(e versionEntry) bool {
		if strings.HasSuffix(e.seg, nullSuffix) {
			found, ok = e, true
			return false
		}
		return true
	})
	return found, ok, err
}

// ensureHistory moves an object written before versioning was configured
// into ver/ as the null version, so the versioned change about to happen
// keeps it. Its manifest is verified before being re-signed with
// VersionID "null": re-signing must never launder a forged manifest. One
// that does not verify stays where it is (as damaged as before).
func (s *Store) ensureHistory(ctx context.Context, bucket, key string) error {
	raw, _, err := s.meta.Get(ctx, nsObjects(bucket), key)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrCorrupt) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("object: %s/%s: %w", bucket, key, err)
	}
	m, err := manifest.Unmarshal(raw)
	if err != nil || m.VersionID != "" {
		return nil
	}
	if m, err = s.verifyManifest(ctx, raw, bucket, key); err != nil {
		s.log.Warn("object: unversioned object does not verify; not kept as the null version", "bucket", bucket, "key", key, "err", err)
		return nil
	}
	m.VersionID = NullVersion
	if err := s.keys.SignManifest(ctx, m); err != nil {
		return fmt.Errorf("object: %s/%s: sign null version: %w", bucket, key, err)
	}
	nraw, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("object: %s/%s: encode null version: %w", bucket, key, err)
	}
	_, err = s.meta.Put(ctx, nsVersions(bucket), versionKey(key, segOf(NullVersion, m.Modified)), nraw, storage.Cond{IfAbsent: true})
	if err != nil && !errors.Is(err, storage.ErrPrecondition) {
		return fmt.Errorf("object: %s/%s: keep null version: %w", bucket, key, err)
	}
	return nil
}

// syncCurrent makes obj/<key> a copy of the newest ver/ entry of key: that
// manifest, or nothing when the newest is a delete marker or there is no
// version left. It is idempotent and every change ends with it, so racing
// writers converge on the newest version (each swap is guarded by the
// obj/ version it read, and is recomputed when it loses).
func (s *Store) syncCurrent(ctx context.Context, bucket, key string) error {
	ns := nsObjects(bucket)
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		cur, curVer, err := s.meta.Get(ctx, ns, key)
		exists := true
		cond := storage.Cond{IfVersion: curVer}
		switch {
		case errors.Is(err, storage.ErrNotFound):
			exists, cond = false, storage.Cond{IfAbsent: true}
		case errors.Is(err, storage.ErrCorrupt):
			cond = storage.Cond{}
		case err != nil:
			return fmt.Errorf("object: sync %s/%s: %w", bucket, key, err)
		}
		page, err := s.meta.List(ctx, nsVersions(bucket), key+"\x00", "", 1)
		if err != nil {
			return fmt.Errorf("object: sync %s/%s: %w", bucket, key, err)
		}
		if len(page) == 0 || isMarker(page[0].Value) {
			if !exists {
				return nil
			}
			if len(page) == 0 && cur != nil {
				if m, err := manifest.Unmarshal(cur); err == nil && m.VersionID == "" {
					return nil // written before versioning; not in ver/ yet
				}
			}
			err = s.meta.Delete(ctx, ns, key, storage.Cond{IfVersion: curVer})
			if errors.Is(err, storage.ErrPrecondition) {
				continue
			}
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("object: sync %s/%s: %w", bucket, key, err)
			}
			return nil
		}
		if exists && bytes.Equal(cur, page[0].Value) {
			return nil
		}
		_, err = s.meta.Put(ctx, ns, key, page[0].Value, cond)
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		if err != nil {
			return fmt.Errorf("object: sync %s/%s: %w", bucket, key, err)
		}
		return nil
	}
	return fmt.Errorf("object: sync %s/%s: %w: too much contention", bucket, key, storage.ErrPrecondition)
}

// commitVersion is commitObject for a bucket whose versioning was
// configured: m becomes a new version (Enabled) or replaces the null
// version (Suspended), and nothing else is overwritten. Only a replaced
// null version's data is retired, and only what no other version of the
// key still uses. own is the new data, deleted on failure; a completion
// passes none, so its parts are never deleted here.
func (s *Store) commitVersion(ctx context.Context, bk *bucketRecord, m *manifest.Manifest, wc WriteCondition, own ...dataplane.Layout) (storage.Version, error) {
	if err := s.ensureHistory(ctx, m.Bucket, m.Key); err != nil {
		s.deleteData(ctx, "commit failed", own...)
		return 0, err
	}
	// A conditional write is evaluated against the current copy and
	// commits by swapping that copy, guarded by the Meta version read
	// here: of racing conditional writers at most one wins; a loser
	// withdraws its version.
	var curCond storage.Cond
	if !wc.IsZero() {
		cur, curVer, err := s.meta.Get(ctx, nsObjects(m.Bucket), m.Key)
		exists := !errors.Is(err, storage.ErrNotFound)
		if err != nil && exists && !errors.Is(err, storage.ErrCorrupt) {
			s.deleteData(ctx, "commit failed", own...)
			return 0, fmt.Errorf("object: %s/%s: conditional write: %w", m.Bucket, m.Key, err)
		}
		if err := wc.check(m.Bucket, m.Key, cur, exists); err != nil {
			s.deleteData(ctx, "condition failed", own...)
			return 0, err
		}
		curCond = storage.Cond{IfVersion: curVer}
		if !exists {
			curCond = storage.Cond{IfAbsent: true}
		}
	}
	if bk.Versioning == VersioningEnabled {
		// A completion may come with its id (presetVersion).
		if m.VersionID == "" {
			id, err := newVersionID(m.Modified)
			if err != nil {
				s.deleteData(ctx, "commit failed", own...)
				return 0, err
			}
			m.VersionID = id
		}
	} else {
		m.VersionID = NullVersion
	}
	if err := s.keys.SignManifest(ctx, m); err != nil {
		s.deleteData(ctx, "commit failed", own...)
		return 0, fmt.Errorf("object: sign manifest %s/%s: %w", m.Bucket, m.Key, err)
	}
	raw, err := m.Marshal()
	if err != nil {
		s.deleteData(ctx, "commit failed", own...)
		return 0, fmt.Errorf("object: encode manifest %s/%s: %w", m.Bucket, m.Key, err)
	}
	ver, err := s.meta.Put(ctx, nsVersions(m.Bucket), versionKey(m.Key, segOf(m.VersionID, m.Modified)), raw, storage.Cond{IfAbsent: true})
	if err != nil {
		if !errors.Is(err, storage.ErrPrecondition) {
			err = fmt.Errorf("%w: %w", errOutcomeUnknown, err)
		}
		s.discardUnlessUnknown(ctx, err, "commit failed", own...)
		return 0, fmt.Errorf("object: commit %s/%s: %w", m.Bucket, m.Key, err)
	}
	if !wc.IsZero() {
		_, err := s.meta.Put(ctx, nsObjects(m.Bucket), m.Key, raw, curCond)
		if errors.Is(err, storage.ErrPrecondition) {
			e := versionEntry{seg: segOf(m.VersionID, m.Modified), raw: raw, ver: ver}
			var derr error
			if len(own) > 0 {
				derr = s.dropVersion(ctx, m.Bucket, m.Key, e, "conditional write lost a race")
			} else {
				// A completion's parts stay with its upload (the claim is
				// released and the upload can be completed again).
				derr = s.meta.Delete(ctx, nsVersions(m.Bucket), versionKey(m.Key, e.seg), storage.Cond{IfVersion: e.ver})
				if derr == nil {
					derr = s.syncCurrent(ctx, m.Bucket, m.Key)
				}
			}
			if derr != nil {
				s.log.Warn("object: losing conditional version not withdrawn", "bucket", m.Bucket, "key", m.Key, "err", derr)
			}
			return 0, fmt.Errorf("object: %s/%s: the key changed during the conditional write: %w", m.Bucket, m.Key, ErrPreconditionFailed)
		}
		if err != nil {
			s.log.Warn("object: conditional version committed but the current copy lags", "bucket", m.Bucket, "key", m.Key, "err", err)
		}
	}
	if m.VersionID == NullVersion {
		s.dedupeNull(ctx, m.Bucket, m.Key)
	}
	if err := s.syncCurrent(ctx, m.Bucket, m.Key); err != nil {
		// The version is committed; obj/ catches up on the next change
		// or heal of the key.
		s.log.Warn("object: new version committed but the current copy lags", "bucket", m.Bucket, "key", m.Key, "err", err)
	}
	return ver, nil
}

// dropVersion removes one ver/ entry (guarded by its version), brings the
// current copy in line, and retires the data the entry alone used: a version shares no data with another in normal
// operation, but the check costs one scan of the key's versions and makes
// a shared data id (a retried completion) safe.
func (s *Store) dropVersion(ctx context.Context, bucket, key string, e versionEntry, why string) error {
	err := s.meta.Delete(ctx, nsVersions(bucket), versionKey(key, e.seg), storage.Cond{IfVersion: e.ver})
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("object: drop version %s of %s/%s: %w", e.seg, bucket, key, err)
	}
	if err := s.syncCurrent(ctx, bucket, key); err != nil {
		s.log.Warn("object: version dropped but the current copy lags", "bucket", bucket, "key", key, "err", err)
	}
	if isMarker(e.raw) {
		return nil
	}
	if validVersionID(e.seg) {
		if err := s.dropVersionTags(ctx, bucket, versionKey(key, e.seg)); err != nil {
			s.log.Warn("object: version dropped but its tags were not", "bucket", bucket, "key", key, "err", err)
		}
	}
	layouts := storedLayouts(e.raw)
	if len(layouts) == 0 {
		return nil
	}
	used := make(map[[16]byte]bool)
	if err := s.keyVersions(ctx, bucket, key, func(o versionEntry) bool {
		for _, l := range storedLayouts(o.raw) {
			used[l.DataID] = true
		}
		return true
	}); err != nil {
		s.log.Warn("object: version dropped; its data is left to orphan GC", "bucket", bucket, "key", key, "err", err)
		return nil
	}
	if cur, _, err := s.meta.Get(ctx, nsObjects(bucket), key); err == nil {
		for _, l := range storedLayouts(cur) {
			used[l.DataID] = true
		}
	}
	out := layouts[:0]
	for _, l := range layouts {
		if !used[l.DataID] {
			out = append(out, l)
		}
	}
	s.retire(ctx, why, out...)
	return nil
}

// dedupeNull keeps only the newest null version of key (a Suspended PUT or
// DELETE replaces the null version): every older one is dropped with its
// data. Each writer keeps the newest, so racing writers agree on the
// survivor; a failure leaves an extra null version that the next
// Suspended change of the key removes.
func (s *Store) dedupeNull(ctx context.Context, bucket, key string) {
	var stale []versionEntry
	seen := false
	err := s.keyVersions(ctx, bucket, key, func(e versionEntry) bool {
		if strings.HasSuffix(e.seg, nullSuffix) {
			if seen {
				stale = append(stale, e)
			}
			seen = true
		}
		return true
	})
	if err != nil {
		s.log.Warn("object: replaced null version not dropped", "bucket", bucket, "key", key, "err", err)
		return
	}
	for _, e := range stale {
		if err := s.dropVersion(ctx, bucket, key, e, "null version replaced"); err != nil {
			s.log.Warn("object: replaced null version not dropped", "bucket", bucket, "key", key, "err", err)
		}
	}
}

// putMarker adds a delete marker as the newest version of key.
func (s *Store) putMarker(ctx context.Context, bk *bucketRecord, bucket, key string) (DeleteResult, error) {
	now := s.now().UnixNano()
	rec := markerRecord{V: recordV1, Marker: true, Key: key, Modified: now, Owner: bk.Owner}
	if bk.Versioning == VersioningEnabled {
		id, err := newVersionID(now)
		if err != nil {
			return DeleteResult{}, err
		}
		rec.VersionID = id
	} else {
		rec.VersionID = NullVersion
	}
	raw, err := json.Marshal(&rec)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("object: delete marker %s/%s: %w", bucket, key, err)
	}
	if _, err := s.meta.Put(ctx, nsVersions(bucket), versionKey(key, segOf(rec.VersionID, now)), raw, storage.Cond{IfAbsent: true}); err != nil {
		return DeleteResult{}, fmt.Errorf("object: delete marker %s/%s: %w", bucket, key, err)
	}
	if rec.VersionID == NullVersion {
		s.dedupeNull(ctx, bucket, key)
	}
	if err := s.syncCurrent(ctx, bucket, key); err != nil {
		return DeleteResult{}, err
	}
	return DeleteResult{VersionID: rec.VersionID, DeleteMarker: true}, nil
}

// newestIsMarker returns the version id of key's newest version when it is
// a delete marker.
func (s *Store) newestIsMarker(ctx context.Context, bucket, key string) (string, bool) {
	page, err := s.meta.List(ctx, nsVersions(bucket), key+"\x00", "", 1)
	if err != nil || len(page) == 0 || !isMarker(page[0].Value) {
		return "", false
	}
	r, err := decodeMarker(page[0].Value)
	if err != nil {
		return "", false
	}
	return r.VersionID, true
}

// openVersion loads and authenticates one version of bucket/key by id. A
// delete marker is a *DeleteMarkerError (ErrMethodNotAllowed). The
// manifest must carry the id it was found under, so a version swapped in
// under another id is ErrTampered.
func (s *Store) openVersion(ctx context.Context, bucket, key, versionID string) (*manifest.Manifest, versionEntry, error) {
	if err := checkKey(key); err != nil {
		return nil, versionEntry{}, err
	}
	if err := checkVersionID(versionID); err != nil {
		return nil, versionEntry{}, err
	}
	if _, _, err := s.bucket(ctx, bucket); err != nil {
		return nil, versionEntry{}, err
	}
	e, ok, err := s.findVersion(ctx, bucket, key, versionID)
	if err != nil {
		return nil, versionEntry{}, err
	}
	if !ok {
		if versionID == NullVersion {
			// An object written before versioning (or in a bucket never
			// versioned) is the null version while it sits in obj/ only.
			m, ver, err := s.openManifest(ctx, bucket, key)
			if err == nil && m.VersionID == "" {
				return m, versionEntry{ver: ver}, nil
			}
			if err != nil && !errors.Is(err, ErrNoSuchKey) {
				return nil, versionEntry{}, err
			}
		}
		return nil, versionEntry{}, fmt.Errorf("object: %s/%s version %s: %w", bucket, key, versionID, ErrNoSuchVersion)
	}
	if isMarker(e.raw) {
		return nil, e, &DeleteMarkerError{VersionID: versionID, Err: fmt.Errorf("object: %s/%s version %s: %w", bucket, key, versionID, ErrMethodNotAllowed)}
	}
	m, err := s.verifyManifest(ctx, e.raw, bucket, key)
	if err != nil {
		return nil, e, err
	}
	if reportedVersion(m.VersionID) != versionID || segOf(m.VersionID, m.Modified) != e.seg {
		return nil, e, fmt.Errorf("object: %s/%s version %s: %w: %w: manifest is version %s", bucket, key, versionID, ErrDamagedMetadata, ErrTampered, m.VersionID)
	}
	return m, e, nil
}
