package dataplane

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Per-shard deadlines (Options.ShardTimeout). A call into an OSD that does
// not return in time is abandoned, never interrupted: the goroutine running
// it finishes on its own and cleans up (closes, aborts or removes) whatever
// the late call produced. Buffers handed to an abandoned call are never
// reused by the engine.

// errShardTimeout is wrapped into the error of a shard operation that ran
// past Options.ShardTimeout; it wraps storage.ErrUnavailable.
var errShardTimeout = fmt.Errorf("dataplane: shard operation timed out: %w", storage.ErrUnavailable)

// bounded runs op with the engine's shard deadline. When op is late, it
// returns errShardTimeout at once and late(v) runs (in the background) once
// op has returned v without an error.
func bounded[T any](e *Engine, ctx context.Context, op func() (T, error), late func(T)) (T, error) {
	if e.o.ShardTimeout < 0 {
		return op()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := op()
		ch <- result{v, err}
	}()
	t := time.NewTimer(e.o.ShardTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
	case <-ctx.Done():
	}
	go func() {
		if r := <-ch; r.err == nil && late != nil {
			late(r.v)
		}
	}()
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	return zero, errShardTimeout
}

// boundedAll runs op(j) for every j in idx in parallel, each under the
// shard deadline, with one timer for all: it returns per position of idx
// the value and error, errShardTimeout for ops still running at the
// deadline; late(j, v) runs when such an op later succeeds.
func boundedAll[T any](e *Engine, ctx context.Context, idx []int, op func(j int) (T, error), late func(j int, v T)) ([]T, []error) {
	vals, errs := make([]T, len(idx)), make([]error, len(idx))
	if e.o.ShardTimeout < 0 {
		var wg sync.WaitGroup
		for x, j := range idx {
			wg.Go(func() { vals[x], errs[x] = op(j) })
		}
		wg.Wait()
		return vals, errs
	}
	type result struct {
		x   int
		v   T
		err error
	}
	ch := make(chan result, len(idx))
	for x, j := range idx {
		go func() {
			v, err := op(j)
			ch <- result{x, v, err}
		}()
	}
	t := time.NewTimer(e.o.ShardTimeout)
	defer t.Stop()
	got := make([]bool, len(idx))
	n := 0
wait:
	for n < len(idx) {
		select {
		case r := <-ch:
			vals[r.x], errs[r.x], got[r.x] = r.v, r.err, true
			n++
		case <-t.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	if n == len(idx) {
		return vals, errs
	}
	for x := range idx {
		if !got[x] {
			errs[x] = errShardTimeout
			if ctx.Err() != nil {
				errs[x] = ctx.Err()
			}
		}
	}
	go func() {
		for range len(idx) - n {
			if r := <-ch; r.err == nil && late != nil {
				late(idx[r.x], r.v)
			}
		}
	}()
	return vals, errs
}

// openShard opens a shard under the deadline.
func (e *Engine) openShard(ctx context.Context, osd storage.OSD, name string) (storage.ShardReader, error) {
	r, err := bounded(e, ctx, func() (storage.ShardReader, error) { return osd.Open(ctx, name) },
		func(r storage.ShardReader) { r.Close() })
	if err != nil {
		return nil, err
	}
	if e.o.ShardTimeout < 0 {
		return r, nil
	}
	return newTimedReader(r, nil, e.o.ReadAhead), nil
}

// lazyShard returns a reader of the shard that opens it on its first read,
// inside the deadline of that read: a GET then spends no goroutine or timer
// on the open. Open errors (storage.ErrNotFound for a missing shard) come
// back from the reads.
func (e *Engine) lazyShard(ctx context.Context, osd storage.OSD, name string) *timedReader {
	return newTimedReader(nil, func() (storage.ShardReader, error) { return osd.Open(ctx, name) }, e.o.ReadAhead)
}

// createShard starts a shard writer under the deadline.
func (e *Engine) createShard(ctx context.Context, osd storage.OSD, name string) (storage.ShardWriter, error) {
	return bounded(e, ctx, func() (storage.ShardWriter, error) { return osd.Create(ctx, name) },
		func(w storage.ShardWriter) { w.Abort() })
}

// timedReader serves one shard's ReadAt calls from goroutines of its own,
// so a caller can stop waiting for a hung read. Requests and their reply
// channels live in reusable readSlots, so a read allocates nothing. Serving
// goroutines start on demand, up to max, so the fetchers of one GET still
// read a shard in parallel while a small read costs one goroutine.
type timedReader struct {
	r       storage.ShardReader                 // set by open, or given
	open    func() (storage.ShardReader, error) // run by the first server; nil when r is given
	openErr error
	once    sync.Once
	reqs    chan *readSlot

	mu      sync.Mutex
	serving int
	max     int
	closed  bool
}

func newTimedReader(r storage.ShardReader, open func() (storage.ShardReader, error), max int) *timedReader {
	return &timedReader{r: r, open: open, reqs: make(chan *readSlot), max: max}
}

// opened opens the shard on first use and reports the open error.
func (t *timedReader) opened() error {
	t.once.Do(func() {
		if t.open != nil {
			t.r, t.openErr = t.open()
		}
	})
	return t.openErr
}

// spawn starts another serving goroutine unless max are running.
func (t *timedReader) spawn() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.serving >= t.max {
		return
	}
	t.serving++
	go t.serve()
}

// serve runs reads until the reader is closed; the last server to stop
// closes the shard, so Close never races a hung read.
func (t *timedReader) serve() {
	for q := range t.reqs {
		if err := t.opened(); err != nil {
			q.n, q.err = 0, err
		} else {
			q.n, q.err = t.r.ReadAt(q.buf, q.off)
		}
		q.buf = nil
		q.done <- struct{}{}
	}
	t.mu.Lock()
	t.serving--
	last := t.serving == 0
	t.mu.Unlock()
	if last {
		t.closeShard()
	}
}

// closeShard closes the shard if it was opened (waiting for an open still
// under way, which only a server can be running).
func (t *timedReader) closeShard() error {
	t.once.Do(func() { t.openErr = errors.New("dataplane: closed") })
	if t.r != nil {
		return t.r.Close()
	}
	return nil
}

// Size is the committed size of the shard (0 when it cannot be opened).
func (t *timedReader) Size() int64 {
	if t.opened() != nil {
		return 0
	}
	return t.r.Size()
}

// ReadAt implements io.ReaderAt without a deadline; Engine.readAt is the
// bounded way to read.
func (t *timedReader) ReadAt(p []byte, off int64) (int, error) {
	if err := t.opened(); err != nil {
		return 0, err
	}
	return t.r.ReadAt(p, off)
}

// Close stops the serving goroutines once their current reads return; the
// shard is closed then (at once when none runs).
func (t *timedReader) Close() error {
	t.mu.Lock()
	t.closed = true
	idle := t.serving == 0
	t.mu.Unlock()
	close(t.reqs)
	if idle {
		return t.closeShard()
	}
	return nil
}

// readSlot is one outstanding read and its reusable timer. After a timeout
// the slot (and the buffer it was given) belongs to the hung read for good;
// the owner takes a fresh slot.
type readSlot struct {
	buf  []byte
	off  int64
	n    int
	err  error
	done chan struct{}
	t    *time.Timer
}

func newReadSlot() *readSlot {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &readSlot{done: make(chan struct{}, 1), t: t}
}

// readAt reads len(p) bytes at off from r with the engine's deadline. When
// the read is late, timedOut is true: slot and p now belong to the hung
// read and must not be used again.
func (e *Engine) readAt(ctx context.Context, r storage.ShardReader, q *readSlot, p []byte, off int64) (n int, err error, timedOut bool) {
	t, ok := r.(*timedReader)
	if !ok {
		n, err = r.ReadAt(p, off)
		return n, err, false
	}
	q.buf, q.off = p, off
	select {
	case t.reqs <- q: // an idle server took it
		q.t.Reset(e.o.ShardTimeout)
		goto wait
	default:
		t.spawn()
	}
	q.t.Reset(e.o.ShardTimeout)
	select {
	case t.reqs <- q:
	case <-q.t.C:
		return 0, errShardTimeout, false // never started: slot and p stay ours
	case <-ctx.Done():
		q.t.Stop()
		return 0, ctx.Err(), false
	}
wait:
	select {
	case <-q.done:
		q.t.Stop()
		return q.n, q.err, false
	case <-q.t.C:
		return 0, errShardTimeout, true
	case <-ctx.Done():
		q.t.Stop()
		return 0, ctx.Err(), true
	}
}
