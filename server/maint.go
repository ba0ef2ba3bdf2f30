package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/tasmaniancloud/rustfs/maint"
	"github.com/tasmaniancloud/rustfs/metrics"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// MaintConfig holds the maintenance scheduler's settings (flags
// --scrub-rate, --scrub-interval, --orphan-grace, --heal-every).
type MaintConfig struct {
	// ScrubRateMB bounds scrub reads plus repair writes in MB/s
	// (default 50; 0 or negative: unlimited).
	ScrubRateMB float64
	// ScrubInterval is the time between full deep passes (default 24h;
	// 0 turns the background scrub off).
	ScrubInterval time.Duration
	// OrphanGrace is how old an unreferenced shard must be before orphan
	// GC removes it (default 24h).
	OrphanGrace time.Duration
	// HealEvery is how often the durable heal queue is drained (default 5s).
	HealEvery time.Duration
}

// DefaultMaintConfig returns the scheduler defaults.
func DefaultMaintConfig() MaintConfig {
	return MaintConfig{
		ScrubRateMB:   maint.DefaultScrubRate / 1e6,
		ScrubInterval: maint.DefaultScrubInterval,
		OrphanGrace:   maint.DefaultOrphanGrace,
		HealEvery:     maint.DefaultHealEvery,
	}
}

// maintOptions adapts the stack's backend to the scheduler's hooks.
func (st *stack) maintOptions(c MaintConfig, log *slog.Logger) maint.Options {
	o := maint.Options{
		Objects:     st.store,
		Meta:        st.backend.Meta(),
		OrphanGrace: c.OrphanGrace,
		HealEvery:   c.HealEvery,
		Logger:      log,
		OSDStates:   func() []maint.OSDState { return osdStates(st.backend) },
	}
	if lb, ok := st.raw.(*local.Backend); ok {
		localMaint(&o, lb, log)
	}
	o.ScrubRate = int64(c.ScrubRateMB * 1e6)
	if c.ScrubRateMB <= 0 {
		o.ScrubRate = -1
	}
	o.ScrubInterval = c.ScrubInterval
	if c.ScrubInterval <= 0 {
		o.ScrubInterval = -1
	}
	if ts, ok := st.backend.(storage.TempSweeper); ok {
		o.SweepTemp = func(ctx context.Context, cutoff time.Time) (int, int64, error) {
			return ts.SweepTemp(ctx, cutoff)
		}
	}
	return o
}

// localMaint hands the embedded backend's own hooks to the scheduler:
// OSD states with their reasons, metadata replica scrub, and the refill
// of replacement OSDs.
func localMaint(o *maint.Options, b *local.Backend, log *slog.Logger) {
	o.OSDStates = func() []maint.OSDState {
		var out []maint.OSDState
		for _, s := range b.OSDStates() {
			out = append(out, maint.OSDState{ID: s.ID, Rack: s.Rack, State: s.State, Detail: s.LastError})
		}
		return out
	}
	o.Replaced = func() []string {
		var ids []string
		for _, s := range b.OSDStates() {
			if s.State == local.StateFilling {
				ids = append(ids, s.ID)
			}
		}
		return ids
	}
	o.MarkFilled = b.MarkFilled
	// Metadata values are small (one manifest each), so the metadata
	// scrub is not charged to the byte budget that bounds shard reads.
	o.ScrubMeta = func(ctx context.Context, _ maint.Throttle) error {
		r, err := b.LocalMeta().Scrub(ctx)
		if r.Repaired > 0 || r.Unrecoverable > 0 || r.Dropped > 0 {
			log.Info("metadata scrub", "checked", r.Checked, "repaired", r.Repaired,
				"unrecoverable", r.Unrecoverable, "tombstones_dropped", r.Dropped)
		}
		return err
	}
}

// osdStates reports each OSD as up or down from its own health check.
func osdStates(b storage.Backend) []maint.OSDState {
	var out []maint.OSDState
	for _, o := range b.OSDs() {
		s := maint.OSDState{ID: o.ID(), Rack: o.Rack(), State: "up"}
		if !storage.Healthy(o) {
			s.State = "down"
		}
		out = append(out, s)
	}
	return out
}

// startMaint starts the scheduler; the caller stops it before the stack
// closes.
func (st *stack) startMaint(ctx context.Context, c MaintConfig, log *slog.Logger) (*maint.Scheduler, error) {
	s, err := maint.New(st.maintOptions(c, log))
	if err != nil {
		return nil, err
	}
	s.Start(ctx)
	return s, nil
}

// maintProgress maps the scheduler's totals onto the exported metrics.
// The pass fraction is estimated against the last finished pass's object
// count, since a pass does not know the total before it ends.
func maintProgress(s *maint.Scheduler) metrics.MaintProgress {
	st := s.Status()
	p := metrics.MaintProgress{
		Healed:         st.Heal.Checked,
		ShardsRepaired: st.Heal.ShardsRepaired,
		Unrecoverable:  st.Heal.Unrecoverable,
		HealBytes:      st.Heal.BytesRewritten,
		ScrubObjects:   st.Heal.Checked,
		ScrubPasses:    st.Heal.Passes,
		GCRecords:      st.GC.Records,
		GCBytes:        st.GC.ReclaimedBytes(),
	}
	var lastObjects int64
	if st.LastPass != nil {
		for _, c := range st.LastPass.ByRedundancy {
			lastObjects += c.Objects
			p.ScrubBytes += c.Bytes
		}
	}
	if st.Running != nil && lastObjects > 0 {
		p.ScrubPassFraction = min(1, float64(st.Running.Checked)/float64(lastObjects))
	}
	return p
}
