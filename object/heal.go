package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// This file holds the heal entry points of docs/DURABILITY.md that the
// scheduler (package maint) calls. Every repair ends in a conditional swap
// of the manifest (or part record) it read, so gateways healing the same
// object at once lose races cleanly; nothing is ever deleted here.

// HealOptions tune a heal or scrub of objects.
type HealOptions struct {
	// Deep reads and checks every shard frame; false checks presence only.
	Deep bool
	// Throttle, when set, is called before reading or writing n bytes.
	Throttle func(ctx context.Context, n int) error
}

// Count is a number of objects and their bytes.
type Count struct {
	Objects int64
	Bytes   int64
}

// HealResult sums up a heal of one or more objects.
type HealResult struct {
	Checked        int
	ShardsRepaired int
	Unrecoverable  int
	BytesRewritten int64
	// ByRedundancy counts the objects checked by healthy shards of their
	// worst stream (the part with the least margin above k), after repair.
	ByRedundancy map[ShardHealth]Count
}

// ShardHealth is how many of a stream's shards are healthy: 6 of 6 for an
// intact 4+2 object, 2 of 3 for a 3x object that lost a copy.
type ShardHealth struct {
	Healthy, Shards int
}

// String formats h as "healthy/shards".
func (h ShardHealth) String() string { return strconv.Itoa(h.Healthy) + "/" + strconv.Itoa(h.Shards) }

// GCResult sums up a garbage collection.
type GCResult struct {
	Records int
	Shards  int
	Bytes   int64
}

// add merges r into h.
func (h *HealResult) add(r HealResult) {
	h.Checked += r.Checked
	h.ShardsRepaired += r.ShardsRepaired
	h.Unrecoverable += r.Unrecoverable
	h.BytesRewritten += r.BytesRewritten
	for k, c := range r.ByRedundancy {
		if h.ByRedundancy == nil {
			h.ByRedundancy = make(map[ShardHealth]Count)
		}
		cur := h.ByRedundancy[k]
		cur.Objects += c.Objects
		cur.Bytes += c.Bytes
		h.ByRedundancy[k] = cur
	}
}

// count records one checked object (or upload) of size bytes whose worst
// stream has healthy shards.
func (h *HealResult) count(healthy ShardHealth, size int64) {
	h.Checked++
	if h.ByRedundancy == nil {
		h.ByRedundancy = make(map[ShardHealth]Count)
	}
	c := h.ByRedundancy[healthy]
	c.Objects++
	c.Bytes += size
	h.ByRedundancy[healthy] = c
}

// streamHeal is what healing one data stream did.
type streamHeal struct {
	layout  dataplane.Layout // with repaired OSDs
	changed bool
	healthy int
	shards  int
	bytes   int64
	lost    bool // fewer than k good shards
}

// healStream verifies one stream and rebuilds its bad shards. what names
// the stream in the log.
func (s *Store) healStream(ctx context.Context, l dataplane.Layout, o HealOptions, what ...any) (streamHeal, error) {
	out := streamHeal{layout: l}
	rep, err := s.engine.Verify(ctx, l, dataplane.VerifyOptions{Deep: o.Deep, Throttle: o.Throttle})
	if err != nil {
		return out, fmt.Errorf("object: verify: %w", err)
	}
	var bad []int
	for j, st := range rep.States {
		if st != dataplane.ShardOK {
			bad = append(bad, j)
		}
	}
	out.healthy = len(rep.States) - len(bad)
	if len(bad) == 0 {
		return out, nil
	}
	if out.healthy < l.K {
		out.lost = true
		s.log.Error("object: unrecoverable data stream", append(what, "good", out.healthy, "k", l.K, "bad", bad)...)
		return out, nil
	}
	targets, err := s.engine.RepairTargets(l, bad)
	if err != nil {
		return out, fmt.Errorf("object: repair targets: %w", err)
	}
	nl, st, err := s.engine.Repair(ctx, l, bad, targets, o.Throttle)
	if err != nil {
		return out, fmt.Errorf("object: repair shards %v: %w", bad, err)
	}
	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.ID()
	}
	s.log.Info("object: repaired", append(what, "shards", bad, "osds", ids, "bytes", st.BytesWritten)...)
	out.layout, out.changed = nl, true
	out.healthy += st.Shards
	out.shards, out.bytes = st.Shards, st.BytesWritten
	return out, nil
}

// HealObject verifies one object's shards (every frame when o.Deep) and
// rebuilds what is missing, corrupt or unavailable, then re-signs the
// manifest with the new shard locations and swaps it in if the object did
// not change meanwhile (one retry on a lost race). A key of the form
// "<key>\x00<uploadID>" (as WalkObjects reports open uploads) heals that
// upload's parts instead. Objects with a stream below k good shards count
// as Unrecoverable and are left untouched.
//
// A key of the form "<key>\x00v:<seg>" (as WalkObjects reports object
// versions) heals that version. A plain key whose object is versioned
// heals every version of the key (see healVersions).
func (s *Store) HealObject(ctx context.Context, bucket, key string, o HealOptions) (HealResult, error) {
	if k, rest, ok := strings.Cut(key, "\x00"); ok {
		if seg, ok := strings.CutPrefix(rest, walkVersionTag); ok {
			res, _, err := s.healVersion(ctx, bucket, k, seg, o)
			return res, err
		}
		return s.healUpload(ctx, bucket, k, rest, o)
	}
	res, _, err := s.healObject(ctx, bucket, key, o)
	return res, err
}

// healObject is HealObject for one object; whole reports that every shard
// of every part is healthy now.
func (s *Store) healObject(ctx context.Context, bucket, key string, o HealOptions) (res HealResult, whole bool, err error) {
	for attempt := 0; attempt < 2; attempt++ {
		res, whole, err = s.healObjectOnce(ctx, bucket, key, o)
		if errors.Is(err, errVersionedObject) || errors.Is(err, ErrNoSuchKey) {
			return s.healVersions(ctx, bucket, key, o, err)
		}
		if !errors.Is(err, storage.ErrPrecondition) {
			return res, whole, err
		}
	}
	return res, whole, err
}

func (s *Store) healObjectOnce(ctx context.Context, bucket, key string, o HealOptions) (HealResult, bool, error) {
	var res HealResult
	m, ver, err := s.openManifest(ctx, bucket, key)
	if err != nil {
		return res, false, err
	}
	if m.VersionID != "" {
		// A copy of a ver/ entry: heal the version itself.
		return res, false, errVersionedObject
	}
	res, changed, whole, err := s.healManifest(ctx, m, o)
	if err != nil || !changed {
		return res, whole, err
	}
	if err := s.keys.SignManifest(ctx, m); err != nil {
		return res, false, fmt.Errorf("object: heal %s/%s: sign: %w", bucket, key, err)
	}
	raw, err := m.Marshal()
	if err != nil {
		return res, false, fmt.Errorf("object: heal %s/%s: encode: %w", bucket, key, err)
	}
	if _, err := s.meta.Put(ctx, nsObjects(bucket), key, raw, storage.Cond{IfVersion: ver}); err != nil {
		// Lost race: the rebuilt shards are unreferenced (orphan GC).
		return res, false, fmt.Errorf("object: heal %s/%s: swap manifest: %w", bucket, key, err)
	}
	return res, whole, nil
}

// healManifest heals every part stream of m, updating m's OSD lists in
// place; changed reports that m must be re-signed and stored.
func (s *Store) healManifest(ctx context.Context, m *manifest.Manifest, o HealOptions) (res HealResult, changed, whole bool, err error) {
	bucket, key := m.Bucket, m.Key
	var worst worstStream
	lost := false
	whole = true
	for i := range m.Parts {
		p := &m.Parts[i]
		h, err := s.healStream(ctx, layoutOf(p), o, "bucket", bucket, "key", key, "part", p.Number)
		res.ShardsRepaired += h.shards
		res.BytesRewritten += h.bytes
		if err != nil {
			return res, false, false, fmt.Errorf("object: heal %s/%s part %d: %w", bucket, key, p.Number, err)
		}
		lost = lost || h.lost
		whole = whole && h.healthy == len(p.OSDs)
		if h.changed {
			p.OSDs, changed = h.layout.OSDs, true
		}
		worst.see(h)
	}
	if lost {
		res.Unrecoverable++
	}
	res.count(worst.h, m.Size)
	return res, changed, whole && !lost, nil
}

// healUpload heals every part of an open multipart upload through its part
// records.
func (s *Store) healUpload(ctx context.Context, bucket, key, uploadID string, o HealOptions) (HealResult, error) {
	var res HealResult
	if _, _, err := s.loadUpload(ctx, bucket, key, uploadID, false); err != nil {
		return res, err
	}
	var worst worstStream
	lost := false
	var size int64
	err := s.eachEntry(ctx, nsParts(uploadID), func(e storage.Entry) error {
		n, err := strconv.Atoi(e.Key)
		if err != nil {
			return nil
		}
		h, sz, err := s.healPart(ctx, uploadID, n, o)
		res.ShardsRepaired += h.shards
		res.BytesRewritten += h.bytes
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrPrecondition) {
				return nil // replaced or dropped meanwhile
			}
			return err
		}
		size += sz
		lost = lost || h.lost
		worst.see(h)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("object: heal upload %s: %w", uploadID, err)
	}
	if lost {
		res.Unrecoverable++
	}
	if worst.seen {
		res.count(worst.h, size)
	}
	return res, nil
}

// healPart heals one part record's stream and swaps the record.
func (s *Store) healPart(ctx context.Context, uploadID string, n int, o HealOptions) (streamHeal, int64, error) {
	raw, ver, err := s.meta.Get(ctx, nsParts(uploadID), partKey(n))
	if err != nil {
		return streamHeal{}, 0, err
	}
	var pr partRecord
	if err := decodeRecord(raw, &pr, &pr.V); err != nil {
		return streamHeal{}, 0, err
	}
	h, err := s.healStream(ctx, pr.layout(), o, "upload", uploadID, "part", n)
	if err != nil || !h.changed {
		return h, pr.Size, err
	}
	pr.OSDs = h.layout.OSDs
	nraw, err := json.Marshal(&pr)
	if err != nil {
		return h, pr.Size, err
	}
	if _, err := s.meta.Put(ctx, nsParts(uploadID), partKey(n), nraw, storage.Cond{IfVersion: ver}); err != nil {
		return h, pr.Size, fmt.Errorf("object: heal upload %s part %d: swap record: %w", uploadID, n, err)
	}
	return h, pr.Size, nil
}

// HealQueued works off up to max records of the durable heal queue (all
// when max <= 0). A record is removed once its object (or part) is whole,
// or gone; it stays when the repair failed or the object is unrecoverable,
// so a later pass tries again.
func (s *Store) HealQueued(ctx context.Context, o HealOptions, max int) (HealResult, error) {
	var res HealResult
	done := 0
	stop := errors.New("stop")
	err := s.eachEntry(ctx, nsHeal, func(e storage.Entry) error {
		if max > 0 && done >= max {
			return stop
		}
		done++
		r, complete, err := s.healRecord(ctx, e.Key, o)
		res.add(r)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			s.log.Warn("object: queued heal failed; the record stays", "record", strings.ReplaceAll(e.Key, "\x00", "/"), "err", err)
			return nil
		}
		if complete {
			if derr := s.meta.Delete(ctx, nsHeal, e.Key, storage.Cond{IfVersion: e.Version}); derr != nil && !errors.Is(derr, storage.ErrNotFound) && !errors.Is(derr, storage.ErrPrecondition) {
				s.log.Warn("object: heal record not removed", "err", derr)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return res, err
	}
	return res, nil
}

// healRecord heals what one sys/heal key names; complete reports whether
// the record can go.
func (s *Store) healRecord(ctx context.Context, key string, o HealOptions) (HealResult, bool, error) {
	kind, a, b, ok := parseHealKey(key)
	if !ok {
		return HealResult{}, true, nil
	}
	if kind == 'p' {
		n, err := strconv.Atoi(b)
		if err != nil {
			return HealResult{}, true, nil
		}
		h, size, err := s.healPart(ctx, a, n, o)
		var r HealResult
		r.ShardsRepaired, r.BytesRewritten = h.shards, h.bytes
		switch {
		case errors.Is(err, storage.ErrNotFound), errors.Is(err, errDamagedRecord):
			return r, true, nil // the part is gone (completed, aborted)
		case err != nil:
			return r, false, err
		}
		r.count(ShardHealth{h.healthy, len(h.layout.OSDs)}, size)
		if h.lost {
			r.Unrecoverable++
		}
		return r, !h.lost && h.healthy == len(h.layout.OSDs), nil
	}
	r, whole, err := s.healObject(ctx, a, b, o)
	switch {
	case errors.Is(err, ErrNoSuchKey), errors.Is(err, ErrNoSuchBucket), errors.Is(err, ErrInvalidKey), errors.Is(err, ErrNoSuchVersion):
		return r, true, nil
	case err != nil:
		return r, false, err
	}
	return r, whole, nil
}

// WalkObjects calls fn for every object of every bucket, for every object
// version as (bucket, "<key>\x00v:<seg>"), then for every open multipart
// upload as (bucket, "<key>\x00<uploadID>"); HealObject accepts all three. Object keys never contain NUL, so the two cannot be
// confused.
func (s *Store) WalkObjects(ctx context.Context, fn func(bucket, key string) error) error {
	return s.eachEntry(ctx, nsBuckets, func(b storage.Entry) error {
		if err := s.eachEntry(ctx, nsObjects(b.Key), func(e storage.Entry) error {
			if m, err := manifest.Unmarshal(e.Value); err == nil && m.VersionID != "" {
				return nil // a copy of a version, walked below
			}
			return fn(b.Key, e.Key)
		}); err != nil {
			return err
		}
		if err := s.eachEntry(ctx, nsVersions(b.Key), func(e storage.Entry) error {
			key, seg, ok := splitVersionKey(e.Key)
			if !ok || isMarker(e.Value) {
				return nil
			}
			return fn(b.Key, key+"\x00"+walkVersionTag+seg)
		}); err != nil {
			return err
		}
		return s.eachEntry(ctx, nsUploads(b.Key), func(e storage.Entry) error {
			return fn(b.Key, e.Key)
		})
	})
}

// worstStream tracks the stream of an object with the least margin of
// healthy shards above k.
type worstStream struct {
	h      ShardHealth
	margin int
	seen   bool
}

func (w *worstStream) see(h streamHeal) {
	margin := h.healthy - h.layout.K
	if !w.seen || margin < w.margin {
		w.h, w.margin, w.seen = ShardHealth{h.healthy, len(h.layout.OSDs)}, margin, true
	}
}
