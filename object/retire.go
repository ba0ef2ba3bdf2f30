package object

import (
	"context"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
)

// retirer delays the deletion of an overwritten or deleted object's shards
// by a grace period. A GET that opened the old manifest has already sent its
// 200 and headers when the overwrite commits; deleting the shards at once
// would cut that response off mid-body. Within the grace such reads finish
// with the old bytes, as they would on S3.
//
// Pending deletions live only in this process: a crash leaves the shards
// unreferenced (never visible), for the garbage collector of a later
// scrub. Close runs every pending deletion at once.
type retirer struct {
	grace   time.Duration
	mu      sync.Mutex
	pending map[*time.Timer]func()
	closed  bool
}

// retire schedules layouts for deletion after the grace period, or deletes
// them now when there is none (or the Store is closed).
func (s *Store) retire(ctx context.Context, why string, layouts ...dataplane.Layout) {
	r := s.retired
	if len(layouts) == 0 {
		return
	}
	r.mu.Lock()
	if r.grace <= 0 || r.closed {
		r.mu.Unlock()
		s.deleteData(ctx, why, layouts...)
		return
	}
	var t *time.Timer
	run := func() { s.deleteData(context.Background(), why, layouts...) }
	t = time.AfterFunc(r.grace, func() {
		r.mu.Lock()
		_, mine := r.pending[t]
		delete(r.pending, t)
		r.mu.Unlock()
		if mine {
			run()
		}
	})
	if r.pending == nil {
		r.pending = make(map[*time.Timer]func())
	}
	r.pending[t] = run
	r.mu.Unlock()
}

// Close deletes the data still waiting out its grace period and makes later
// retirements immediate. The Store stays usable.
func (s *Store) Close() error {
	r := s.retired
	r.mu.Lock()
	r.closed = true
	var runs []func()
	for t, run := range r.pending {
		if t.Stop() {
			runs = append(runs, run)
		}
	}
	r.pending = nil
	r.mu.Unlock()
	for _, run := range runs {
		run()
	}
	return nil
}
