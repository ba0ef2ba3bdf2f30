package maint

import (
	"context"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
)

// goLoop runs job at once and then every period until Stop. A job's
// error is logged when it differs from the previous one, so a persistent
// failure (an OSD down for hours) does not flood the log.
func (s *Scheduler) goLoop(name string, period time.Duration, job func(ctx context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		last := ""
		for {
			err := job(s.base)
			if s.base.Err() != nil {
				return
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if msg != last && msg != "" {
				s.log.Warn("maint: job failed", "job", name, "err", err)
			} else if msg != last {
				s.log.Info("maint: job works again", "job", name)
			}
			last = msg
			if s.o.Clock.Sleep(s.base, period) != nil {
				return
			}
		}
	}()
}

// healQueue drains the durable heal queue in batches.
func (s *Scheduler) healQueue(ctx context.Context) error {
	for {
		res, err := s.o.Objects.HealQueued(ctx, object.HealOptions{Deep: true, Throttle: s.lim.Throttle()}, s.o.HealBatch)
		if res.Checked > 0 {
			s.logHeal("queue", "", "", res)
			s.mu.Lock()
			s.heal.QueueHealed += int64(res.Checked)
			s.heal.Checked += int64(res.Checked)
			s.heal.ShardsRepaired += int64(res.ShardsRepaired)
			s.heal.BytesRewritten += res.BytesRewritten
			s.heal.Unrecoverable += int64(res.Unrecoverable)
			s.mu.Unlock()
		}
		if err != nil || res.Checked < s.o.HealBatch {
			return err
		}
	}
}

// runGC carries out the due deletions.
func (s *Scheduler) runGC(ctx context.Context) error {
	res, err := s.o.Objects.RunGC(ctx, s.o.Clock.Now())
	if res.Records > 0 || res.Bytes > 0 {
		s.log.Info("maint: reclaimed", "via", "gc", "records", res.Records, "shards", res.Shards, "bytes", res.Bytes)
		s.mu.Lock()
		s.gc.Records += int64(res.Records)
		s.gc.Shards += int64(res.Shards)
		s.gc.Bytes += res.Bytes
		s.mu.Unlock()
	}
	return err
}

// collectOrphans removes unreferenced shards older than the grace.
func (s *Scheduler) collectOrphans(ctx context.Context) error {
	res, err := s.o.Objects.CollectOrphans(ctx, s.o.OrphanGrace)
	if res.Shards > 0 || res.Bytes > 0 {
		s.log.Info("maint: reclaimed", "via", "orphan-gc", "shards", res.Shards, "bytes", res.Bytes)
		s.mu.Lock()
		s.gc.OrphanShards += int64(res.Shards)
		s.gc.OrphanBytes += res.Bytes
		s.mu.Unlock()
	}
	return err
}

// sweepTemp removes temporary files older than TempAge.
func (s *Scheduler) sweepTemp(ctx context.Context) error {
	files, bytes, err := s.o.SweepTemp(ctx, s.o.Clock.Now().Add(-s.o.TempAge))
	if files > 0 || bytes > 0 {
		s.log.Info("maint: reclaimed", "via", "temp-sweep", "files", files, "bytes", bytes)
		s.mu.Lock()
		s.gc.TempFiles += int64(files)
		s.gc.TempBytes += bytes
		s.mu.Unlock()
	}
	return err
}

// refill runs a full shallow pass when OSDs were replaced, then marks
// them filled. A pass with errors leaves them replaced, so the next round
// tries again.
func (s *Scheduler) refill(ctx context.Context) error {
	ids := s.o.Replaced()
	if len(ids) == 0 {
		return nil
	}
	s.log.Info("maint: refilling replaced OSDs", "osds", ids)
	p, _ := s.startPass(false, "refill")
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	err, rep := p.err, p.rep
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if rep.Errors > 0 {
		s.log.Warn("maint: refill pass had failed checks; the replaced OSDs stay marked", "osds", ids, "errors", rep.Errors)
		return nil
	}
	for _, id := range ids {
		if err := s.o.MarkFilled(id); err != nil {
			return err
		}
		s.log.Info("maint: replaced OSD refilled", "osd", id)
	}
	return nil
}

// scrubLoop runs a full deep pass every ScrubInterval, counted from the
// start of the last full pass any gateway recorded.
func (s *Scheduler) scrubLoop() {
	for {
		due := s.o.Clock.Now()
		s.mu.Lock()
		if !s.lastDeep.IsZero() {
			due = s.lastDeep.Add(s.o.ScrubInterval)
		}
		s.nextDue = due
		s.mu.Unlock()
		if s.o.Clock.Sleep(s.base, due.Sub(s.o.Clock.Now())) != nil {
			return
		}
		p, _ := s.startPass(true, "scrub")
		select {
		case <-p.done:
		case <-s.base.Done():
			return
		}
		p.mu.Lock()
		failed := p.err != nil
		p.mu.Unlock()
		if failed {
			// Retry after a while rather than at once: the failure (a
			// walk that cannot list) is unlikely to clear in a second.
			if s.o.Clock.Sleep(s.base, min(s.o.ScrubInterval, time.Hour)) != nil {
				return
			}
		}
	}
}
