package local

import "sync"

// syncGroup is a group commit: concurrent callers that need the same thing
// made durable (a filesystem with --commit group, one directory's entries
// otherwise: see dirSyncs) share one sync instead of paying one each. A
// caller of Sync returns only after a sync that STARTED after it arrived
// has finished, so everything it wrote before calling is durable when Sync
// returns nil. While one sync runs, the callers that arrive queue up and
// the first of them starts the next sync for all of them; a failed sync's
// error reaches every caller that waited for it.
type syncGroup struct {
	sync func() error // syncFS of a directory, or fsync of one directory

	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64 // syncs started so far
	done    uint64 // highest sync number finished
	failed  uint64 // highest sync number that failed (0: none)
	lastErr error  // error of sync number failed
	syncs   uint64 // syncs run, for tests and metrics
	calls   uint64 // calls of Sync so far, for tests
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
	g.calls++
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

// callCount reports how many calls of Sync have begun (tests).
func (g *syncGroup) callCount() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// dirSyncs shares directory fsyncs among concurrent callers, one syncGroup
// per directory (an OSD's namespace directories of the metadata replica,
// its shard fan-out directories). An entry lives only while callers use
// it: the last one out deletes it, so the map holds at most one entry per
// caller in flight however many directories come and go. A caller that
// finds no entry starts a fresh group whose first sync starts after the
// caller arrived, so dropping an entry never weakens the rule of Sync.
type dirSyncs struct {
	sync func(dir string) error // syncDir; tests replace it

	mu   sync.Mutex
	dirs map[string]*dirGroup
}

// dirGroup is one directory's group and how many callers use it.
type dirGroup struct {
	g    *syncGroup
	refs int
}

// newDirSyncs returns a dirSyncs that fsyncs a directory with sync.
func newDirSyncs(sync func(dir string) error) *dirSyncs {
	return &dirSyncs{sync: sync, dirs: make(map[string]*dirGroup)}
}

// Sync returns once an fsync of dir that began after this call has
// completed, with its error.
func (d *dirSyncs) Sync(dir string) error {
	d.mu.Lock()
	e := d.dirs[dir]
	if e == nil {
		e = &dirGroup{g: newSyncGroup(func() error { return d.sync(dir) })}
		d.dirs[dir] = e
	}
	e.refs++
	d.mu.Unlock()
	err := e.g.Sync()
	d.mu.Lock()
	if e.refs--; e.refs == 0 {
		delete(d.dirs, dir)
	}
	d.mu.Unlock()
	return err
}

// live reports how many directories have callers now (tests).
func (d *dirSyncs) live() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.dirs)
}
