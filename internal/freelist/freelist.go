// Package freelist keeps idle values of one kind for reuse: up to a fixed
// number in a last-in first-out list that garbage collection never empties,
// the rest in a sync.Pool.
//
// Why both: a sync.Pool drops what sat in it through two collections, and a
// server that paces its heap tightly (internal/gcpace) collects every few
// tens of MB, so a pipeline backed only by a sync.Pool re-made its buffers
// after every collection (docs/PERFORMANCE.md, "Issue 13: where a large
// PUT's CPU goes"). The bounded list keeps a busy pipeline's working set;
// the sync.Pool takes a burst's extras and lets them go once idle. The most
// recently returned value is handed out first: the likeliest to be in cache.
package freelist

import (
	"sync"
	"sync/atomic"
)

// List is a free list of values made by its alloc function. It is safe for
// concurrent use.
type List[T any] struct {
	mu   sync.Mutex
	keep []T
	pool sync.Pool
	made atomic.Int64
}

// New returns a List keeping up to keep idle values out of the garbage
// collector's reach (none when keep ≤ 0) and making new ones with alloc.
func New[T any](keep int, alloc func() T) *List[T] {
	l := &List[T]{keep: make([]T, 0, max(keep, 0))}
	l.pool.New = func() any {
		l.made.Add(1)
		return alloc()
	}
	return l
}

// Get returns an idle value, or a new one.
func (l *List[T]) Get() T {
	l.mu.Lock()
	if n := len(l.keep); n > 0 {
		v := l.keep[n-1]
		var zero T
		l.keep[n-1] = zero
		l.keep = l.keep[:n-1]
		l.mu.Unlock()
		return v
	}
	l.mu.Unlock()
	return l.pool.Get().(T)
}

// Put returns an idle value for reuse.
func (l *List[T]) Put(v T) {
	l.mu.Lock()
	kept := len(l.keep) < cap(l.keep)
	if kept {
		l.keep = append(l.keep, v)
	}
	l.mu.Unlock()
	if !kept {
		l.pool.Put(v)
	}
}

// Made reports how many values alloc has made: a steady user stops making
// them, which tests and metrics use to show memory does not grow.
func (l *List[T]) Made() int64 { return l.made.Load() }
