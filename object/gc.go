package object

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Durable garbage collection (docs/DURABILITY.md, invariant 3). Data that a
// committed manifest (or part record) no longer references is not deleted
// in place: a record under nsGC names it, keyed by the earliest time it may
// go, so a GET already streaming the old bytes finishes within ReadGrace and
// a crash never forgets the deletion. RunGC carries out due records;
// CollectOrphans catches what a crash left between a commit and its record.
const nsGC = "sys/gc"

// gcRecord is the value of a sys/gc entry.
type gcRecord struct {
	V       int        `json:"v"`
	Why     string     `json:"why,omitempty"`
	Layouts []gcLayout `json:"layouts"`
}

// gcLayout is the part of a layout GC needs: which shards live where.
type gcLayout struct {
	DataID [16]byte `json:"data"`
	OSDs   []string `json:"osds"`
}

// gcKey is "<not-before unix ns, 20 digits>\x00<hex data id>": byte order
// is time order, so RunGC stops at the first record not yet due.
func gcKey(notBefore time.Time, dataID [16]byte) string {
	return fmt.Sprintf("%020d\x00%s", notBefore.UnixNano(), hex.EncodeToString(dataID[:]))
}

// gcDue parses the not-before time of a sys/gc key.
func gcDue(key string) (time.Time, bool) {
	if len(key) < 21 || key[20] != 0 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(key[:20], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// retire records layouts whose data a just-committed manifest or record
// dropped, for deletion after ReadGrace (see retireDurably). A failed
// record write is logged only: the data is then an orphan, which
// CollectOrphans reclaims after its grace.
func (s *Store) retire(ctx context.Context, why string, layouts ...dataplane.Layout) {
	if err := s.retireDurably(ctx, why, layouts...); err != nil {
		s.log.Warn("object: gc record not written; orphan GC will reclaim the data", "why", why, "err", err)
	}
}

// retireDurably writes one sys/gc record naming layouts, due after
// ReadGrace. With no grace the record is carried out at once (a failure
// then leaves it for RunGC). It fails only when the record was not written.
func (s *Store) retireDurably(ctx context.Context, why string, layouts ...dataplane.Layout) error {
	if len(layouts) == 0 {
		return nil
	}
	cctx, cancel := cleanupCtx(ctx)
	defer cancel()
	rec := gcRecord{V: recordV1, Why: why, Layouts: make([]gcLayout, len(layouts))}
	for i, l := range layouts {
		rec.Layouts[i] = gcLayout{DataID: l.DataID, OSDs: l.OSDs}
	}
	raw, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("object: gc record: %w", err)
	}
	key := gcKey(s.now().Add(s.grace), layouts[0].DataID)
	ver, err := s.meta.Put(cctx, nsGC, key, raw, storage.Cond{})
	if err != nil {
		return fmt.Errorf("object: gc record: %w", err)
	}
	if s.grace > 0 {
		return nil
	}
	if _, err := s.runGCRecord(cctx, storage.Entry{Key: key, Value: raw, Version: ver}); err != nil {
		s.log.Warn("object: immediate gc failed; the record stays for RunGC", "why", why, "err", err)
	}
	return nil
}

// RunGC carries out the pending deletions due at now: each due record's
// shards are removed, then the record. Records are idempotent (removing a
// missing shard succeeds), so gateways running RunGC at once, or a crash
// between the shards and the record, do no harm (a shard two gateways
// remove at the same moment may be counted twice).
func (s *Store) RunGC(ctx context.Context, now time.Time) (GCResult, error) {
	var res GCResult
	after := ""
	for {
		page, err := s.meta.List(ctx, nsGC, "", after, listPage)
		if err != nil {
			return res, fmt.Errorf("object: gc: list: %w", err)
		}
		for _, e := range page {
			due, ok := gcDue(e.Key)
			if ok && due.After(now) {
				return res, nil
			}
			r, err := s.runGCRecord(ctx, e)
			res.Records += r.Records
			res.Shards += r.Shards
			res.Bytes += r.Bytes
			if err != nil {
				s.log.Warn("object: gc record kept for a later pass", "record", hex.EncodeToString([]byte(e.Key)), "err", err)
			}
		}
		if len(page) < listPage {
			return res, nil
		}
		after = page[len(page)-1].Key
	}
}

// runGCRecord deletes one record's shards and then the record. A record
// that does not decode is removed after logging: it can name nothing we
// could delete safely, and its data falls to orphan GC.
func (s *Store) runGCRecord(ctx context.Context, e storage.Entry) (GCResult, error) {
	var res GCResult
	var rec gcRecord
	if err := decodeRecord(e.Value, &rec, &rec.V); err != nil {
		s.log.Warn("object: dropping undecodable gc record", "err", err)
	} else {
		for _, l := range rec.Layouts {
			n, b, err := s.removeShards(ctx, l.DataID, l.OSDs)
			res.Shards += n
			res.Bytes += b
			if err != nil {
				return res, err
			}
		}
		if res.Shards > 0 {
			s.log.Info("object: gc reclaimed", "why", rec.Why, "shards", res.Shards, "bytes", res.Bytes)
		}
	}
	err := s.meta.Delete(ctx, nsGC, e.Key, storage.Cond{IfVersion: e.Version})
	if err != nil && !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition) {
		return res, fmt.Errorf("object: gc: delete record: %w", err)
	}
	res.Records = 1
	return res, nil
}

// removeShards deletes the shards of one data stream and returns how many
// existed and their bytes. Missing shards and unknown OSDs count as done
// only when the OSD is unknown for good; I/O errors are returned so the
// record is retried.
func (s *Store) removeShards(ctx context.Context, dataID [16]byte, osds []string) (int, int64, error) {
	var n int
	var bytes int64
	var errs []error
	for j, id := range osds {
		if id == "" {
			continue
		}
		osd := s.osdByID(id)
		if osd == nil {
			s.log.Warn("object: gc: shard on an unknown OSD left alone", "osd", id, "shard", j)
			continue
		}
		name := dataplane.ShardName(dataID, j)
		size, found := shardSize(ctx, osd, name)
		if err := osd.Remove(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("object: gc: remove %s on %s: %w", name, id, err))
			continue
		}
		if found {
			n++
			bytes += size
		}
	}
	return n, bytes, errors.Join(errs...)
}

// shardSize returns the committed size of a shard, if it exists.
func shardSize(ctx context.Context, osd storage.OSD, name string) (int64, bool) {
	r, err := osd.Open(ctx, name)
	if err != nil {
		return 0, false
	}
	defer r.Close()
	return r.Size(), true
}

// osdByID finds one of the backend's OSDs.
func (s *Store) osdByID(id string) storage.OSD {
	for _, o := range s.backend.OSDs() {
		if o.ID() == id {
			return o
		}
	}
	return nil
}

// Close releases nothing: pending deletions are durable sys/gc records,
// carried out by RunGC on any gateway. It exists so callers can keep
// closing the Store.
func (s *Store) Close() error { return nil }
