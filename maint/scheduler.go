// Package maint is the one background maintenance scheduler of a gateway
// (docs/DURABILITY.md, "Scheduler"): it drains the durable heal queue,
// scrubs every object deeply at a rate limit, runs due and orphan garbage
// collection, sweeps temporary files and refills replaced OSDs. It also
// runs the full passes an operator asks for through the admin API.
package maint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Meta namespace and key of the last full pass's report.
const (
	StatsNS  = "sys"
	StatsKey = "stats"
)

// Scheduler runs the maintenance jobs of one gateway. Its methods are safe
// for concurrent use.
type Scheduler struct {
	o   Options
	lim *Limiter
	log *slog.Logger

	base   context.Context // ends at Stop; passes run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	started bool
	seq     int64
	cur     *pass // the running full pass, nil when none
	last    *Report
	gc      GCTotals
	heal    HealTotals
	nextDue time.Time
	// lastDeep is when the last successful deep pass started: the
	// background scrub counts its interval from it.
	lastDeep time.Time
}

// New returns a scheduler; nothing runs until Start or RunPass.
func New(o Options) (*Scheduler, error) {
	if o.Objects == nil {
		return nil, errors.New("maint: Options.Objects is required")
	}
	o = o.withDefaults()
	base, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		o:      o,
		lim:    NewLimiter(o.ScrubRate, 0, o.Clock),
		log:    o.Logger,
		base:   base,
		cancel: cancel,
	}, nil
}

// Limiter returns the rate limiter shared by scrub and repair.
func (s *Scheduler) Limiter() *Limiter { return s.lim }

// Start loads the last recorded pass and starts the background jobs.
// They run until Stop; ctx only bounds the loading.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return
	}
	s.started = true
	s.mu.Unlock()
	if rep, ok, err := s.LoadStats(ctx); err != nil {
		s.log.Warn("maint: reading the last pass's statistics", "err", err)
	} else if ok {
		s.mu.Lock()
		if s.last == nil {
			s.last = &rep
		}
		if rep.Deep && rep.Error == "" && s.lastDeep.IsZero() {
			s.lastDeep = rep.Started
		}
		s.mu.Unlock()
	}
	s.goLoop("heal-queue", s.o.HealEvery, s.healQueue)
	s.goLoop("gc", s.o.GCEvery, s.runGC)
	s.goLoop("orphan-gc", s.o.OrphanEvery, s.collectOrphans)
	if s.o.SweepTemp != nil {
		s.goLoop("temp-sweep", s.o.TempEvery, s.sweepTemp)
	}
	if s.o.Replaced != nil && s.o.MarkFilled != nil {
		s.goLoop("refill", s.o.RefillEvery, s.refill)
	}
	if s.o.ScrubInterval > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.scrubLoop()
		}()
	}
}

// Stop ends every job and pass and waits for their goroutines. The
// scheduler cannot be started again.
func (s *Scheduler) Stop() {
	s.cancel()
	s.wg.Wait()
}

// pass is one full pass in flight; joiners wait on done.
type pass struct {
	done chan struct{}
	// cb serialises the progress callbacks: a watcher is never called
	// from two goroutines at once.
	cb sync.Mutex

	mu       sync.Mutex
	rep      Report
	err      error
	watchers []func(Progress)
}

// snapshot returns the pass's current progress.
func (p *pass) snapshot() Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rep.Progress
}

// update changes the progress under the lock and tells the watchers.
func (p *pass) update(f func(r *Report)) {
	p.cb.Lock()
	defer p.cb.Unlock()
	p.mu.Lock()
	f(&p.rep)
	pr := p.rep.Progress
	ws := p.watchers
	p.mu.Unlock()
	for _, w := range ws {
		w(pr)
	}
}

// watch adds a progress callback.
func (p *pass) watch(w func(Progress)) {
	if w == nil {
		return
	}
	p.cb.Lock()
	defer p.cb.Unlock()
	p.mu.Lock()
	// A new slice each time: update iterates the old one unlocked.
	p.watchers = append(p.watchers[:len(p.watchers):len(p.watchers)], w)
	pr := p.rep.Progress
	p.mu.Unlock()
	w(pr)
}

// StartPass starts a full pass in the background, or returns the running
// one (only one pass runs at a time). started reports which.
func (s *Scheduler) StartPass(deep bool, reason string) (pr Progress, started bool) {
	p, started := s.startPass(deep, reason)
	return p.snapshot(), started
}

// startPass is StartPass returning the pass itself.
func (s *Scheduler) startPass(deep bool, reason string) (*pass, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		return s.cur, false
	}
	s.seq++
	now := s.o.Clock.Now()
	p := &pass{done: make(chan struct{})}
	p.rep.Progress = Progress{
		ID:      strconv.FormatInt(now.Unix(), 10) + "-" + strconv.FormatInt(s.seq, 10),
		Reason:  reason,
		Deep:    deep,
		Phase:   "objects",
		Started: now,
	}
	s.cur = p
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runPass(s.base, p)
	}()
	return p, true
}

// RunPass runs a full pass over every object (deep: every shard frame
// read and checked) and returns its report. When a pass is already
// running the call joins it and returns that pass's report. progress,
// when set, is called with the live progress as it changes. The pass
// itself runs under the scheduler's lifetime: a cancelled ctx returns
// early but leaves the pass running.
func (s *Scheduler) RunPass(ctx context.Context, deep bool, progress func(Progress)) (Report, error) {
	p, _ := s.startPass(deep, "admin")
	p.watch(progress)
	select {
	case <-p.done:
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneReport(p.rep), p.err
}

// Progress returns the running pass's progress, else the last pass's
// (ok false when no pass ever ran).
func (s *Scheduler) Progress() (pr Progress, ok bool) {
	s.mu.Lock()
	cur, last := s.cur, s.last
	s.mu.Unlock()
	if cur != nil {
		return cur.snapshot(), true
	}
	if last != nil {
		return last.Progress, true
	}
	return Progress{}, false
}

// Status returns the OSD states, the last pass's report, the running
// pass's progress and the GC, heal and scrub totals.
func (s *Scheduler) Status() Status {
	var st Status
	if s.o.OSDStates != nil {
		st.OSDs = s.o.OSDStates()
	}
	s.mu.Lock()
	if s.last != nil {
		r := cloneReport(*s.last)
		st.LastPass = &r
	}
	cur := s.cur
	st.GC, st.Heal = s.gc, s.heal
	st.Scrub = ScrubState{
		Enabled:         s.o.ScrubInterval > 0,
		RateBytesPerSec: s.lim.Rate(),
		NextDue:         s.nextDue,
	}
	if s.o.ScrubInterval > 0 {
		st.Scrub.IntervalSeconds = int64(s.o.ScrubInterval / time.Second)
	}
	s.mu.Unlock()
	if cur != nil {
		pr := cur.snapshot()
		st.Running = &pr
		st.Scrub.Running = pr.Reason == "scrub"
	}
	return st
}

// LoadStats reads the last full pass's report recorded in Meta by any
// gateway; ok is false when none is recorded.
func (s *Scheduler) LoadStats(ctx context.Context) (rep Report, ok bool, err error) {
	if s.o.Meta == nil {
		return Report{}, false, nil
	}
	b, _, err := s.o.Meta.Get(ctx, StatsNS, StatsKey)
	if err != nil {
		if isNotFound(err) {
			return Report{}, false, nil
		}
		return Report{}, false, fmt.Errorf("maint: read %s/%s: %w", StatsNS, StatsKey, err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return Report{}, false, fmt.Errorf("maint: decode %s/%s: %w", StatsNS, StatsKey, err)
	}
	return rep, true, nil
}

// cloneReport copies r's histogram so callers never share it.
func cloneReport(r Report) Report {
	if r.ByRedundancy != nil {
		m := make(map[string]Count, len(r.ByRedundancy))
		for k, v := range r.ByRedundancy {
			m[k] = v
		}
		r.ByRedundancy = m
	}
	return r
}
