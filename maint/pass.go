package maint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage"
)

// runPass walks every object, heals it, scrubs the metadata (deep passes),
// records the report and ends the pass.
func (s *Scheduler) runPass(ctx context.Context, p *pass) {
	start := p.snapshot()
	s.log.Info("maint: full pass started", "id", start.ID, "reason", start.Reason, "deep", start.Deep)
	ho := object.HealOptions{Deep: start.Deep, Throttle: s.lim.Throttle()}
	err := s.o.Objects.WalkObjects(ctx, func(bucket, key string) error {
		res, err := s.o.Objects.HealObject(ctx, bucket, key, ho)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("maint: check failed", "bucket", bucket, "key", key, "err", err)
			p.update(func(r *Report) { r.Errors++ })
			return nil
		}
		s.logHeal("pass", bucket, key, res)
		p.update(func(r *Report) { r.add(res) })
		return nil
	})
	if err == nil && start.Deep && s.o.ScrubMeta != nil {
		p.update(func(r *Report) { r.Phase = "metadata" })
		if err = s.o.ScrubMeta(ctx, s.lim.Throttle()); err != nil {
			err = fmt.Errorf("maint: metadata scrub: %w", err)
		}
	} else if err != nil {
		err = fmt.Errorf("maint: walk objects: %w", err)
	}
	p.update(func(r *Report) {
		r.Phase, r.Done, r.Finished = "done", true, s.o.Clock.Now()
		if err != nil {
			r.Error = err.Error()
		}
	})
	p.mu.Lock()
	p.err = err
	rep := cloneReport(p.rep)
	p.mu.Unlock()

	if err == nil {
		s.storeStats(rep)
	}
	s.mu.Lock()
	s.cur = nil
	s.last = &rep
	if rep.Deep && err == nil {
		s.lastDeep = rep.Started
	}
	s.heal.Passes++
	s.heal.Checked += rep.Checked
	s.heal.ShardsRepaired += rep.ShardsRepaired
	s.heal.BytesRewritten += rep.BytesRewritten
	s.heal.Unrecoverable += rep.Unrecoverable
	s.mu.Unlock()
	close(p.done)
	s.log.Info("maint: full pass finished", "id", rep.ID, "reason", rep.Reason, "deep", rep.Deep,
		"checked", rep.Checked, "shards_repaired", rep.ShardsRepaired, "bytes_rewritten", rep.BytesRewritten,
		"unrecoverable", rep.Unrecoverable, "errors", rep.Errors, "err", err)
}

// logHeal logs a repair or an unrecoverable object; healthy objects are
// not logged.
func (s *Scheduler) logHeal(via, bucket, key string, res object.HealResult) {
	if res.ShardsRepaired > 0 {
		s.log.Info("maint: repaired", "via", via, "bucket", bucket, "key", key,
			"shards", res.ShardsRepaired, "bytes", res.BytesRewritten)
	}
	if res.Unrecoverable > 0 {
		s.log.Error("maint: unrecoverable", "via", via, "bucket", bucket, "key", key, "objects", res.Unrecoverable)
	}
}

// storeStats records a finished full pass's report in Meta so that any
// gateway's status shows it. A failure is logged: the report is only
// informative.
func (s *Scheduler) storeStats(rep Report) {
	if s.o.Meta == nil {
		return
	}
	b, err := json.Marshal(rep)
	if err == nil {
		ctx := context.WithoutCancel(s.base)
		_, err = s.o.Meta.Put(ctx, StatsNS, StatsKey, b, storage.Cond{})
	}
	if err != nil {
		s.log.Warn("maint: recording the pass statistics", "err", err)
	}
}

// isNotFound reports a storage.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }
