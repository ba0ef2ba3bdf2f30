package dataplane

import (
	"context"
	"fmt"
	"sync/atomic"
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
	return newTimedReader(r, e.o.ReadAhead), nil
}

// createShard starts a shard writer under the deadline.
func (e *Engine) createShard(ctx context.Context, osd storage.OSD, name string) (storage.ShardWriter, error) {
	return bounded(e, ctx, func() (storage.ShardWriter, error) { return osd.Create(ctx, name) },
		func(w storage.ShardWriter) { w.Abort() })
}

// timedReader serves one shard's ReadAt calls from its own goroutine, so a
// caller can stop waiting for a hung read. Requests and their reply
// channels live in reusable readSlots, so a read allocates nothing.
type timedReader struct {
	r       storage.ShardReader
	reqs    chan *readSlot
	serving atomic.Int32
}

// newTimedReader starts workers serving goroutines, so the fetchers of one
// GET still read a shard in parallel.
func newTimedReader(r storage.ShardReader, workers int) *timedReader {
	t := &timedReader{r: r, reqs: make(chan *readSlot)}
	t.serving.Store(int32(workers))
	for range workers {
		go t.serve()
	}
	return t
}

// serve runs reads until the reader is closed; the last server to stop
// closes the shard, so Close never races a hung read.
func (t *timedReader) serve() {
	for q := range t.reqs {
		q.n, q.err = t.r.ReadAt(q.buf, q.off)
		q.buf = nil
		q.done <- struct{}{}
	}
	if t.serving.Add(-1) == 0 {
		t.r.Close()
	}
}

// Size is the committed size of the shard.
func (t *timedReader) Size() int64 { return t.r.Size() }

// ReadAt implements io.ReaderAt without a deadline (used where none is set).
func (t *timedReader) ReadAt(p []byte, off int64) (int, error) { return t.r.ReadAt(p, off) }

// Close stops the serving goroutine once its current read returns.
func (t *timedReader) Close() error {
	close(t.reqs)
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
	q.t.Reset(e.o.ShardTimeout)
	select {
	case t.reqs <- q:
	case <-q.t.C:
		return 0, errShardTimeout, false // never started: slot and p stay ours
	case <-ctx.Done():
		q.t.Stop()
		return 0, ctx.Err(), false
	}
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
