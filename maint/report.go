package maint

import (
	"time"

	"github.com/tasmaniancloud/rustfs/object"
)

// Count is a number of objects and their bytes.
type Count struct {
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

// Progress is the live state of a full pass, the body of GET
// /rustfs/admin/v1/heal.
type Progress struct {
	ID string `json:"id"`
	// Reason is what started the pass: "admin", "scrub" or "refill".
	Reason string `json:"reason"`
	Deep   bool   `json:"deep"`
	// Phase is "objects", "metadata" or "done".
	Phase          string    `json:"phase"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished,omitzero"`
	Checked        int64     `json:"objects_checked"`
	ShardsRepaired int64     `json:"shards_repaired"`
	BytesRewritten int64     `json:"bytes_rewritten"`
	Unrecoverable  int64     `json:"unrecoverable"`
	// Errors counts objects whose check failed for another reason (they
	// are retried by the next pass).
	Errors int64  `json:"errors"`
	Done   bool   `json:"done"`
	Error  string `json:"error,omitempty"`
}

// Report is a finished pass: its final progress and how many objects and
// bytes sit at each number of healthy shards ("6/6" on intact 4+2, "2/3" on 3x missing a copy).
type Report struct {
	Progress
	ByRedundancy map[string]Count `json:"by_redundancy"`
}

// add folds one heal result into the report.
func (r *Report) add(h object.HealResult) {
	r.Checked += int64(h.Checked)
	r.ShardsRepaired += int64(h.ShardsRepaired)
	r.BytesRewritten += h.BytesRewritten
	r.Unrecoverable += int64(h.Unrecoverable)
	for n, c := range h.ByRedundancy {
		if r.ByRedundancy == nil {
			r.ByRedundancy = map[string]Count{}
		}
		k := n.String()
		v := r.ByRedundancy[k]
		v.Objects += c.Objects
		v.Bytes += c.Bytes
		r.ByRedundancy[k] = v
	}
}

// HealTotals sum every repair this gateway made since it started: passes,
// and the heal-queue worker.
type HealTotals struct {
	Passes         int64 `json:"passes"`
	QueueHealed    int64 `json:"queue_healed"`
	Checked        int64 `json:"objects_checked"`
	ShardsRepaired int64 `json:"shards_repaired"`
	BytesRewritten int64 `json:"bytes_rewritten"`
	Unrecoverable  int64 `json:"unrecoverable"`
}

// GCTotals sum what this gateway reclaimed since it started.
type GCTotals struct {
	Records      int64 `json:"records"`
	Shards       int64 `json:"shards"`
	Bytes        int64 `json:"bytes"`
	OrphanShards int64 `json:"orphan_shards"`
	OrphanBytes  int64 `json:"orphan_bytes"`
	TempFiles    int64 `json:"temp_files"`
	TempBytes    int64 `json:"temp_bytes"`
}

// ReclaimedBytes is every byte reclaimed: due deletions, orphans, temp.
func (g GCTotals) ReclaimedBytes() int64 { return g.Bytes + g.OrphanBytes + g.TempBytes }

// ScrubState describes the background scrub.
type ScrubState struct {
	Enabled bool `json:"enabled"`
	// RateBytesPerSec is the limit shared by scrub reads and repair
	// writes (0: unlimited).
	RateBytesPerSec int64     `json:"rate_bytes_per_sec"`
	IntervalSeconds int64     `json:"interval_seconds"`
	NextDue         time.Time `json:"next_due,omitzero"`
	Running         bool      `json:"running"`
}

// Status is the scheduler's part of GET /rustfs/admin/v1/status.
type Status struct {
	OSDs []OSDState `json:"osds"`
	// LastPass is the last full pass (this gateway's, or the one recorded
	// in Meta by any gateway); nil when none ran yet.
	LastPass *Report `json:"last_pass,omitempty"`
	// Running is the pass in progress, if any.
	Running *Progress  `json:"running,omitempty"`
	GC      GCTotals   `json:"gc"`
	Heal    HealTotals `json:"heal"`
	Scrub   ScrubState `json:"scrub"`
}
