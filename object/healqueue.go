package object

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// The durable heal queue (docs/DURABILITY.md, invariant 2): an acknowledged
// write with fewer than n shards, or a read that met a bad shard, leaves a
// record under nsHeal that HealQueued works off. A degraded write's record
// is written before the write is acknowledged, so a crash never forgets it.
const nsHeal = "sys/heal"

// healRecord is the value of a sys/heal entry.
type healRecord struct {
	V      int    `json:"v"`
	Reason string `json:"reason"`
	Time   int64  `json:"time"` // unix ns
}

// healObjectKey and healPartKey name heal records of an object and of a
// part of an open multipart upload.
func healObjectKey(bucket, key string) string { return "o\x00" + bucket + "\x00" + key }
func healPartKey(uploadID string, n int) string {
	return "p\x00" + uploadID + "\x00" + strconv.Itoa(n)
}

// parseHealKey splits a sys/heal key: kind 'o' gives (bucket, key), kind
// 'p' gives (uploadID, part number as text).
func parseHealKey(k string) (kind byte, a, b string, ok bool) {
	parts := strings.SplitN(k, "\x00", 3)
	if len(parts) != 3 || len(parts[0]) != 1 || (parts[0] != "o" && parts[0] != "p") {
		return 0, "", "", false
	}
	return parts[0][0], parts[1], parts[2], true
}

// degraded reports whether any of layouts lacks a shard.
func degraded(layouts ...dataplane.Layout) bool {
	for _, l := range layouts {
		for _, id := range l.OSDs {
			if id == "" {
				return true
			}
		}
	}
	return false
}

// manifestDegraded reports whether any part of m lacks a shard.
func manifestDegraded(m *manifest.Manifest) bool {
	for i := range m.Parts {
		for _, id := range m.Parts[i].OSDs {
			if id == "" {
				return true
			}
		}
	}
	return false
}

// queueHeal writes (or refreshes) a heal record. Callers acknowledging a
// degraded write fail when it fails.
func (s *Store) queueHeal(ctx context.Context, key, reason string) error {
	raw, err := json.Marshal(&healRecord{V: recordV1, Reason: reason, Time: s.now().UnixNano()})
	if err != nil {
		return fmt.Errorf("object: heal record: %w", err)
	}
	if _, err := s.meta.Put(ctx, nsHeal, key, raw, storage.Cond{}); err != nil {
		return fmt.Errorf("object: heal record: %w", err)
	}
	return nil
}

// queueHealBestEffort queues a heal record and only logs a failure (reads:
// the scrubber finds the object anyway).
func (s *Store) queueHealBestEffort(ctx context.Context, key, reason string) {
	if err := s.queueHeal(ctx, key, reason); err != nil {
		s.log.Warn("object: could not queue a heal", "reason", reason, "err", err)
	}
}
