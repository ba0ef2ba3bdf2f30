package object

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// CollectOrphans removes shards that no object manifest, upload part record
// or sys/gc record references and that are older than grace: what a crash
// left between writing data and committing its manifest, or between a
// commit and its GC record. OSDs that cannot enumerate their shards
// (storage.Walker) are skipped. The referenced set is read before the OSDs
// are walked, so grace must exceed the longest upload: a shard written
// after the scan started is younger than grace and survives.
func (s *Store) CollectOrphans(ctx context.Context, grace time.Duration) (GCResult, error) {
	var res GCResult
	refs, err := s.referencedData(ctx)
	if err != nil {
		return res, err
	}
	cutoff := s.now().Add(-grace)
	seen := make(map[[16]byte]bool)
	for _, osd := range s.backend.OSDs() {
		w, ok := osd.(storage.Walker)
		if !ok {
			continue
		}
		var victims []string
		var sizes []int64
		err := w.Walk(ctx, func(name string, size int64, modified time.Time) error {
			id, ok := shardDataID(name)
			if !ok || refs[id] || modified.After(cutoff) {
				return nil
			}
			victims = append(victims, name)
			sizes = append(sizes, size)
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("object: orphan gc: walk %s: %w", osd.ID(), err)
		}
		for i, name := range victims {
			if err := osd.Remove(ctx, name); err != nil {
				s.log.Warn("object: orphan gc: remove failed", "osd", osd.ID(), "shard", name, "err", err)
				continue
			}
			id, _ := shardDataID(name)
			if !seen[id] {
				seen[id] = true
				res.Records++
			}
			res.Shards++
			res.Bytes += sizes[i]
			s.log.Info("object: orphan gc reclaimed", "osd", osd.ID(), "shard", name, "bytes", sizes[i])
		}
	}
	return res, nil
}

// shardDataID parses "<32 hex>.<index>", the engine's shard names.
func shardDataID(name string) ([16]byte, bool) {
	var id [16]byte
	hexID, idx, ok := strings.Cut(name, ".")
	if !ok || len(hexID) != 32 {
		return id, false
	}
	if _, err := strconv.Atoi(idx); err != nil {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(hexID)); err != nil {
		return id, false
	}
	return id, true
}

// referencedData collects every data id that a manifest, a part record or
// a GC record names. Any listing error aborts: deleting on a partial view
// could destroy live data.
func (s *Store) referencedData(ctx context.Context) (map[[16]byte]bool, error) {
	refs := make(map[[16]byte]bool)
	add := func(id [16]byte) { refs[id] = true }
	// Order matters against concurrent commits: an upload's parts are read
	// before the manifests (a Complete moves its parts from part records
	// into a manifest), and GC records last (an overwrite drops data from
	// a manifest before it writes the record).
	err := s.eachEntry(ctx, nsBuckets, func(b storage.Entry) error {
		bucket := b.Key
		if err := s.eachEntry(ctx, nsUploads(bucket), func(e storage.Entry) error {
			_, id, ok := strings.Cut(e.Key, "\x00")
			if !ok {
				return nil
			}
			return s.partRefs(ctx, id, add)
		}); err != nil {
			return err
		}
		// Versions after the current copies: a new version lands in ver/
		// before obj/, so a commit racing this scan is seen in one of them.
		if err := s.eachEntry(ctx, nsObjects(bucket), func(e storage.Entry) error {
			m, err := manifest.Unmarshal(e.Value)
			if err != nil {
				s.log.Warn("object: orphan gc: undecodable manifest; its data counts as unreferenced", "bucket", bucket, "key", e.Key, "err", err)
				return nil
			}
			for i := range m.Parts {
				add(m.Parts[i].DataID)
			}
			return nil
		}); err != nil {
			return err
		}
		return s.eachEntry(ctx, nsVersions(bucket), func(e storage.Entry) error {
			if isMarker(e.Value) {
				return nil
			}
			m, err := manifest.Unmarshal(e.Value)
			if err != nil {
				s.log.Warn("object: orphan gc: undecodable version manifest; its data counts as unreferenced", "bucket", bucket, "key", e.Key, "err", err)
				return nil
			}
			for i := range m.Parts {
				add(m.Parts[i].DataID)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	err = s.eachEntry(ctx, nsGC, func(e storage.Entry) error {
		var rec gcRecord
		if decodeRecord(e.Value, &rec, &rec.V) == nil {
			for _, l := range rec.Layouts {
				add(l.DataID)
			}
		}
		return nil
	})
	return refs, err
}

// partRefs adds the data ids of an upload's part records.
func (s *Store) partRefs(ctx context.Context, uploadID string, add func([16]byte)) error {
	return s.eachEntry(ctx, nsParts(uploadID), func(e storage.Entry) error {
		var pr partRecord
		if decodeRecord(e.Value, &pr, &pr.V) == nil {
			add(pr.DataID)
		}
		return nil
	})
}

// eachEntry calls fn for every entry of ns, page by page.
func (s *Store) eachEntry(ctx context.Context, ns string, fn func(storage.Entry) error) error {
	after := ""
	for {
		page, err := s.meta.List(ctx, ns, "", after, listPage)
		if err != nil {
			return fmt.Errorf("object: list %s: %w", ns, err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < listPage {
			return nil
		}
		after = page[len(page)-1].Key
	}
}
