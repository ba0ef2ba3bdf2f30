package local

import "sync"

// syncGroup is a group commit for one filesystem: concurrent shard commits
// share a filesystem-wide sync instead of paying two fsyncs each. A caller
// of Sync returns only after a sync that STARTED after it arrived has
// finished, so everything it wrote before calling is durable when Sync
// returns nil. While one sync runs, the callers that arrive queue up and
// the first of them starts the next sync for all of them.
type syncGroup struct {
	sync func() error // the filesystem-wide sync (syncFS of a directory)

	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64 // syncs started so far
	done    uint64 // highest sync number finished
	failed  uint64 // highest sync number that failed (0: none)
	lastErr error  // error of sync number failed
	syncs   uint64 // syncs run, for tests and metrics
}

// newSyncGroup returns a group that calls sync.
func newSyncGroup(sync func() error) *syncGroup {
	g := &syncGroup{sync: sync}
	g.cond.L = &g.mu
	return g
}

// Sync returns once a sync that began after this call has completed, with
// its error (or a later sync's error: reporting a failure too often is
// safe, acknowledging an unsynced write is not).
func (g *syncGroup) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A sync already running may have started before our writes: we need
	// the next one.
	need := g.started + 1
	for g.done < need {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		g.mu.Unlock()
		err := g.sync()
		g.mu.Lock()
		g.running = false
		g.done = n
		g.syncs++
		if err != nil {
			g.failed, g.lastErr = n, err
		}
		g.cond.Broadcast()
	}
	if g.failed >= need {
		return g.lastErr
	}
	return nil
}

// count reports how many syncs have run.
func (g *syncGroup) count() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.syncs
}
