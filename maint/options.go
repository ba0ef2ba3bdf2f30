package maint

import (
	"context"
	"log/slog"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Objects is the object layer's maintenance API (docs/DURABILITY.md);
// *object.Store implements it.
type Objects interface {
	HealObject(ctx context.Context, bucket, key string, o object.HealOptions) (object.HealResult, error)
	HealQueued(ctx context.Context, o object.HealOptions, max int) (object.HealResult, error)
	WalkObjects(ctx context.Context, fn func(bucket, key string) error) error
	RunGC(ctx context.Context, now time.Time) (object.GCResult, error)
	CollectOrphans(ctx context.Context, grace time.Duration) (object.GCResult, error)
}

// OSDState is one OSD as the status report shows it.
type OSDState struct {
	ID   string `json:"id"`
	Rack string `json:"rack"`
	// State is "up", "down", "replaced" (empty replacement awaiting
	// refill) or whatever else the backend reports.
	State string `json:"state"`
	// Detail says why, when the backend knows ("EIO", "path unusable").
	Detail string `json:"detail,omitempty"`
}

// Options configure a Scheduler. Zero fields take the defaults given.
// The backend hooks are plain functions so that maint depends on no
// backend: the server adapts storage/local or rados to them, and a nil
// hook turns its job off.
type Options struct {
	// Objects is the object layer (required).
	Objects Objects
	// Meta, when set, receives the last full pass's redundancy histogram
	// (namespace "sys", key "stats") so any gateway can report it.
	Meta storage.Meta
	// SweepTemp removes temporary files older than cutoff
	// (storage.TempSweeper).
	SweepTemp func(ctx context.Context, cutoff time.Time) (files int, bytes int64, err error)
	// ScrubMeta verifies and repairs the metadata copies at the end of a
	// deep pass, reading through throttle.
	ScrubMeta func(ctx context.Context, throttle Throttle) error
	// OSDStates reports every OSD's state for the status report.
	OSDStates func() []OSDState
	// Replaced lists the OSDs recorded as empty replacements; each is
	// refilled by a full shallow pass and then handed to MarkFilled.
	Replaced   func() []string
	MarkFilled func(id string) error

	// HealEvery is how often the durable heal queue is drained (5s).
	HealEvery time.Duration
	// HealBatch is how many queue records one call drains (256).
	HealBatch int
	// ScrubRate bounds scrub reads plus repair writes, bytes per second
	// (50 MB/s; negative: unlimited).
	ScrubRate int64
	// ScrubInterval is the time between the starts of full deep passes
	// (24h; negative: background scrub off).
	ScrubInterval time.Duration
	// GCEvery is how often due deletions run (1m).
	GCEvery time.Duration
	// OrphanEvery is how often orphan shards are looked for (1h), and
	// OrphanGrace how old an unreferenced shard must be to go (24h).
	OrphanEvery, OrphanGrace time.Duration
	// TempAge is how old a temporary file must be to be swept (1h), and
	// TempEvery how often the sweep runs after the one at start (1h).
	TempAge, TempEvery time.Duration
	// RefillEvery is how often replaced OSDs are looked for (10s).
	RefillEvery time.Duration
	// Logger receives every repair and reclaimed byte (slog.Default()).
	Logger *slog.Logger
	// Clock is the time source (the wall clock).
	Clock Clock
}

// Defaults of Options.
const (
	DefaultHealEvery     = 5 * time.Second
	DefaultHealBatch     = 256
	DefaultScrubRate     = 50_000_000
	DefaultScrubInterval = 24 * time.Hour
	DefaultGCEvery       = time.Minute
	DefaultOrphanEvery   = time.Hour
	DefaultOrphanGrace   = 24 * time.Hour
	DefaultTempAge       = time.Hour
	DefaultTempEvery     = time.Hour
	DefaultRefillEvery   = 10 * time.Second
)

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.HealEvery, DefaultHealEvery)
	def(&o.ScrubInterval, DefaultScrubInterval)
	def(&o.GCEvery, DefaultGCEvery)
	def(&o.OrphanEvery, DefaultOrphanEvery)
	def(&o.OrphanGrace, DefaultOrphanGrace)
	def(&o.TempAge, DefaultTempAge)
	def(&o.TempEvery, DefaultTempEvery)
	def(&o.RefillEvery, DefaultRefillEvery)
	if o.HealBatch <= 0 {
		o.HealBatch = DefaultHealBatch
	}
	if o.ScrubRate == 0 {
		o.ScrubRate = DefaultScrubRate
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return o
}
