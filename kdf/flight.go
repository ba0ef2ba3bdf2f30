package kdf

import "sync"

// flightGroup collapses concurrent derivations of the same cache id into one
// call, so a burst of cold requests for one customer costs one HSM round
// trip instead of one per request.
type flightGroup struct {
	mu sync.Mutex
	m  map[[32]byte]*flight
}

// flight is one derivation in progress.
type flight struct {
	done    chan struct{}
	e       *cacheEntry
	err     error
	waiters int // joiners so far (under flightGroup.mu; observed by tests)
}

// do runs fn once per id among concurrent callers and hands every caller the
// same entry. The entry may already be dead (evicted or rejected by the
// cache) when a joiner reads it; the joiner then derives on its own.
func (g *flightGroup) do(id [32]byte, fn func() (*cacheEntry, error)) (*cacheEntry, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[[32]byte]*flight{}
	}
	if f, ok := g.m[id]; ok {
		f.waiters++
		g.mu.Unlock()
		<-f.done
		return f.e, f.err
	}
	f := &flight{done: make(chan struct{})}
	g.m[id] = f
	g.mu.Unlock()

	f.e, f.err = fn()
	g.mu.Lock()
	delete(g.m, id)
	g.mu.Unlock()
	close(f.done)
	return f.e, f.err
}
