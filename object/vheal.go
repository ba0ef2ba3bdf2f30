package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// walkVersionTag follows the NUL in a WalkObjects key that names one
// object version: "<key>\x00v:<seg>". Upload ids are hex, so a key naming
// an upload ("<key>\x00<uploadID>") never starts with it.
const walkVersionTag = "v:"

// errVersionedObject reports that obj/ holds a copy of a version: heal
// goes through the version's own ver/ entry.
var errVersionedObject = errors.New("object: current copy of a version")

// healVersion heals one version's streams, stores its re-signed manifest
// in its ver/ entry (guarded by the entry's version) and refreshes the
// current copy, which is the same manifest when the version is the newest.
// A delete marker has nothing to heal.
func (s *Store) healVersion(ctx context.Context, bucket, key, seg string, o HealOptions) (HealResult, bool, error) {
	var res HealResult
	raw, ver, err := s.meta.Get(ctx, nsVersions(bucket), versionKey(key, seg))
	if errors.Is(err, storage.ErrNotFound) {
		return res, true, fmt.Errorf("object: heal %s/%s version %s: %w", bucket, key, seg, ErrNoSuchVersion)
	}
	if err != nil {
		return res, false, fmt.Errorf("object: heal %s/%s version %s: %w", bucket, key, seg, err)
	}
	if isMarker(raw) {
		return res, true, nil
	}
	m, err := s.verifyManifest(ctx, raw, bucket, key)
	if err != nil {
		return res, false, err
	}
	res, changed, whole, err := s.healManifest(ctx, m, o)
	if err != nil {
		return res, false, err
	}
	if changed {
		if err := s.keys.SignManifest(ctx, m); err != nil {
			return res, false, fmt.Errorf("object: heal %s/%s version %s: sign: %w", bucket, key, seg, err)
		}
		nraw, err := m.Marshal()
		if err != nil {
			return res, false, fmt.Errorf("object: heal %s/%s version %s: encode: %w", bucket, key, seg, err)
		}
		if _, err := s.meta.Put(ctx, nsVersions(bucket), versionKey(key, seg), nraw, storage.Cond{IfVersion: ver}); err != nil {
			// Lost race: the rebuilt shards are unreferenced (orphan GC).
			return res, false, fmt.Errorf("object: heal %s/%s version %s: swap manifest: %w", bucket, key, seg, err)
		}
	}
	// Also repairs a current copy left behind by a crash between a
	// version's commit and its sync.
	if err := s.syncCurrent(ctx, bucket, key); err != nil {
		return res, false, err
	}
	return res, whole, nil
}

// healVersions heals every version of key (a heal record or a plain
// HealObject of a versioned key). cause is what the plain heal met; it is
// returned when the key has no versions at all.
func (s *Store) healVersions(ctx context.Context, bucket, key string, o HealOptions, cause error) (HealResult, bool, error) {
	var res HealResult
	var segs []string
	if err := s.keyVersions(ctx, bucket, key, func(e versionEntry) bool {
		if !isMarker(e.raw) {
			segs = append(segs, e.seg)
		}
		return true
	}); err != nil {
		return res, false, err
	}
	if len(segs) == 0 {
		if errors.Is(cause, errVersionedObject) {
			// obj/ holds a version whose ver/ entry is gone: bring the
			// current copy in line.
			return res, true, s.syncCurrent(ctx, bucket, key)
		}
		return res, false, cause
	}
	whole := true
	for _, seg := range segs {
		r, w, err := s.healVersion(ctx, bucket, key, seg, o)
		res.add(r)
		if errors.Is(err, ErrNoSuchVersion) {
			continue // deleted meanwhile
		}
		if err != nil {
			return res, false, err
		}
		whole = whole && w
	}
	return res, whole, nil
}
