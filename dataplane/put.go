package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/chunker"
	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/storage"
)

// putRun is the state of one Put pipeline.
type putRun struct {
	e      *Engine
	ctx    context.Context
	cancel context.CancelFunc
	stream *aead.Stream
	quorum int32

	sem   chan struct{} // in-flight stripe tokens
	jobs  chan *stripe  // reader → workers
	done  chan *stripe  // workers → reorder
	outs  []*shardOut
	alive atomic.Int32 // shard writers still healthy

	errOnce sync.Once
	err     error // first failure; read after the stages are joined
}

// shardOut is one shard's ordered writer.
type shardOut struct {
	j    int
	osd  storage.OSD
	w    storage.ShardWriter
	ch   chan *stripe
	dead bool  // owned by the writer goroutine until it exits
	err  error // why the shard was dropped
}

// fail records the first error and cancels every stage.
func (r *putRun) fail(err error) {
	r.errOnce.Do(func() {
		r.err = err
		r.cancel()
	})
}

// Put writes one stream and commits its shards. The shards are not visible
// to anyone until the caller commits a manifest holding the returned Layout.
// On any error (including ctx cancellation, a body of the wrong size or a
// lost write quorum) every shard writer is aborted and no shard stays
// committed. The body is read on the calling goroutine, so a Read blocked in
// the body delays the return of a cancelled Put until it returns.
func (e *Engine) Put(ctx context.Context, req PutRequest) (PutResult, error) {
	if req.Key == nil || req.Body == nil {
		return PutResult{}, errors.New("dataplane: put: nil key or body")
	}
	if err := ctx.Err(); err != nil {
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}
	maxSize := req.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if req.Size > maxSize {
		return PutResult{}, fmt.Errorf("dataplane: put: size %d over limit %d: %w", req.Size, maxSize, ErrTooLarge)
	}
	limit := maxSize
	if req.Size >= 0 {
		limit = req.Size
	}
	var dataID [16]byte
	if _, err := io.ReadFull(e.ids, dataID[:]); err != nil {
		return PutResult{}, fmt.Errorf("dataplane: put: data id: %w", err)
	}
	stream, err := req.Key.Stream(dataID, req.Part)
	if err != nil {
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}
	n := e.o.K + e.o.M
	placed, err := storage.Place(e.b.OSDs(), dataID, n)
	if err != nil {
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}

	r := &putRun{
		e: e, stream: stream, quorum: int32(e.o.WriteQuorum),
		sem:  make(chan struct{}, e.o.InFlight),
		jobs: make(chan *stripe, e.o.InFlight),
		done: make(chan *stripe, e.o.InFlight),
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()

	r.createWriters(placed, dataID)
	if err := ctx.Err(); err != nil {
		r.abortAll()
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}
	if r.alive.Load() < r.quorum {
		r.abortAll()
		return PutResult{}, r.quorumError("create")
	}

	digests := chunker.NewDigesterDepth(req.Hashes, e.o.InFlight)
	var workers, rest sync.WaitGroup
	for range e.o.Workers {
		workers.Go(r.work)
	}
	rest.Go(r.reorder)
	for _, o := range r.outs {
		rest.Go(func() { r.write(o) })
	}

	total, crc := r.read(&limitReader{r: req.Body, max: limit}, digests)
	close(r.jobs)
	workers.Wait()
	close(r.done)
	rest.Wait()

	if ctx.Err() != nil {
		r.fail(fmt.Errorf("dataplane: put: %w", ctx.Err()))
	}
	if req.Size >= 0 && total < req.Size {
		r.fail(fmt.Errorf("dataplane: put: got %d of %d bytes: %w", total, req.Size, ErrShortBody))
	}
	if errors.Is(r.err, errLostQuorum) {
		r.err = r.quorumError("write")
	}
	if r.err != nil {
		digests.Abort()
		r.abortAll()
		return PutResult{}, r.err
	}
	sums := digests.Close()
	osds, err := r.commit(ctx, dataID)
	if err != nil {
		return PutResult{}, err
	}
	return PutResult{
		Layout: Layout{DataID: dataID, Part: req.Part, Size: total, ChunkSize: e.o.ChunkSize,
			K: e.o.K, M: e.o.M, OSDs: osds},
		Sums:   sums,
		CRC32C: crc,
	}, nil
}

// createWriters opens one shard writer per placed OSD; a failed Create drops
// that shard like a failed write would.
func (r *putRun) createWriters(placed []storage.OSD, dataID [16]byte) {
	for j, osd := range placed {
		o := &shardOut{j: j, osd: osd, ch: make(chan *stripe, r.e.o.InFlight)}
		w, err := osd.Create(r.ctx, ShardName(dataID, j))
		if err != nil {
			o.dead, o.err = true, fmt.Errorf("shard %d on %s: create: %w", j, osd.ID(), err)
		} else {
			o.w = w
			r.alive.Add(1)
		}
		r.outs = append(r.outs, o)
	}
}

// read is the reader stage, run on the caller's goroutine: it takes an
// in-flight token, cuts the next chunk, queues it for the digests and the
// workers, and returns the byte count and whole-stream CRC32C.
func (r *putRun) read(body io.Reader, digests *chunker.Digester) (total int64, crc uint32) {
	c := chunker.New(body, r.e.plain)
	for {
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			r.fail(fmt.Errorf("dataplane: put: %w", context.Cause(r.ctx)))
			return c.Total(), crc
		}
		t := r.e.o.Stats.begin()
		ch, err := c.Next()
		r.e.o.Stats.end(StageRead, t)
		if err != nil {
			<-r.sem
			r.fail(fmt.Errorf("dataplane: put: read body: %w", err))
			return c.Total(), crc
		}
		digests.Feed(ch.Data, ch.N)
		crc = chunker.CombineCRC32C(crc, ch.CRC32C, int64(ch.N))
		s := r.e.pool.get()
		r.e.o.Stats.queued(1)
		s.idx, s.n, s.final, s.plain, s.run = ch.Index, ch.N, ch.Final, ch.Data, r
		r.jobs <- s
		if ch.Final {
			return c.Total(), crc
		}
	}
}

// work is a seal+encode worker. After a failure it keeps draining its queue
// (releasing buffers) so no stage ever blocks.
func (r *putRun) work() {
	for s := range r.jobs {
		if r.ctx.Err() != nil {
			s.skip = true
		} else if err := r.seal(s); err != nil {
			s.skip = true
			r.fail(err)
		}
		s.plain.Release()
		s.plain = nil
		r.done <- s
	}
}

// seal encrypts s's plaintext into s.buf, pads it to k pieces, computes the
// parity pieces in place after them, and the frame trailers.
func (r *putRun) seal(s *stripe) error {
	defer r.e.o.Stats.end(StageSeal, r.e.o.Stats.begin())
	k := r.e.o.K
	ct := r.stream.Seal(s.buf[:0], s.plain.B[:s.n], s.idx, s.final)
	p := pieceSize(len(ct), k)
	clear(s.buf[len(ct) : k*p])
	s.layout(p)
	if err := r.e.coder.Encode(s.shards); err != nil {
		return fmt.Errorf("dataplane: put: chunk %d: %w", s.idx, err)
	}
	for j, sh := range s.shards {
		erasure.PutCRC(s.trailer(j), erasure.PieceCRC(sh))
	}
	return nil
}

// reorder restores chunk order and fans each stripe out to every shard
// writer. Tokens bound the stripes in flight to InFlight, so the indices
// waiting here always fit a ring of that size.
func (r *putRun) reorder() {
	ring := make([]*stripe, cap(r.sem))
	size := uint64(len(ring))
	next := uint64(0)
	for s := range r.done {
		ring[s.idx%size] = s
		for t := ring[next%size]; t != nil && t.idx == next; t = ring[next%size] {
			ring[next%size] = nil
			r.fanout(t)
			next++
		}
	}
	for _, t := range ring {
		if t != nil { // a gap left by a failed run
			t.refs.Store(1)
			r.release(t)
		}
	}
	for _, o := range r.outs {
		close(o.ch)
	}
}

// fanout hands s to every writer, or drops it if the run has failed.
func (r *putRun) fanout(s *stripe) {
	if s.skip || r.ctx.Err() != nil {
		s.refs.Store(1)
		r.release(s)
		return
	}
	s.refs.Store(int32(len(r.outs)))
	for _, o := range r.outs {
		o.ch <- s
	}
}

// release drops one writer's reference; the last returns the stripe to the
// pool and its token to the reader.
func (r *putRun) release(s *stripe) {
	if s.refs.Add(-1) == 0 {
		r.e.o.Stats.queued(-1)
		r.e.pool.put(s)
		<-r.sem
	}
}

// write is shard o's ordered writer: frame = piece ‖ CRC32C trailer. A write
// error drops the shard; losing the quorum fails the run.
func (r *putRun) write(o *shardOut) {
	for s := range o.ch {
		if !o.dead && !s.skip && r.ctx.Err() == nil {
			t := r.e.o.Stats.begin()
			err := writeFull(o.w, s.shards[o.j])
			if err == nil {
				err = writeFull(o.w, s.trailer(o.j))
			}
			r.e.o.Stats.end(StageWrite, t)
			if err != nil {
				o.dead, o.err = true, fmt.Errorf("shard %d on %s: chunk %d: %w", o.j, o.osd.ID(), s.idx, err)
				o.w.Abort()
				if r.alive.Add(-1) < r.quorum {
					r.fail(errLostQuorum) // detailed by Put once all writers are joined
				}
			}
		}
		r.release(s)
	}
}

// writeFull writes all of p.
func writeFull(w io.Writer, p []byte) error {
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// commit commits the healthy shards in parallel (fsync latency overlaps)
// and returns the per-shard OSD IDs. Below quorum it removes what did commit.
func (r *putRun) commit(ctx context.Context, dataID [16]byte) ([]string, error) {
	var wg sync.WaitGroup
	for _, o := range r.outs {
		if o.dead {
			continue
		}
		wg.Go(func() {
			if err := o.w.Commit(); err != nil {
				o.dead, o.err = true, fmt.Errorf("shard %d on %s: commit: %w", o.j, o.osd.ID(), err)
				o.w.Abort()
			}
		})
	}
	wg.Wait()
	ids := make([]string, len(r.outs))
	committed := 0
	for _, o := range r.outs {
		if !o.dead {
			ids[o.j] = o.osd.ID()
			committed++
		}
	}
	var err error
	switch {
	case ctx.Err() != nil: // cancelled while committing: the caller will not record it
		err = fmt.Errorf("dataplane: put: %w", ctx.Err())
	case committed < int(r.quorum):
		err = r.quorumError("commit")
	default:
		return ids, nil
	}
	// Take back the shards that did commit. They are invisible without a
	// manifest anyway; this only saves garbage collection the work, so it
	// runs even though ctx may be cancelled.
	rmCtx := context.WithoutCancel(ctx)
	for _, o := range r.outs {
		if !o.dead {
			o.osd.Remove(rmCtx, ShardName(dataID, o.j))
		}
	}
	return nil, err
}

// abortAll aborts every shard writer (idempotent for ones already finished).
func (r *putRun) abortAll() {
	for _, o := range r.outs {
		if o.w != nil {
			o.w.Abort()
		}
	}
}

// errLostQuorum marks a run failed by a shard writer dropping below quorum.
var errLostQuorum = errors.New("dataplane: write quorum lost")

// quorumError reports which shards were lost and why. It reads every
// writer's state, so it runs only after the writers are joined.
func (r *putRun) quorumError(stage string) error {
	r.e.o.Stats.lostQuorum()
	errs := []error{ErrWriteQuorum}
	healthy := 0
	for _, o := range r.outs {
		if o.dead {
			errs = append(errs, o.err)
		} else {
			healthy++
		}
	}
	return fmt.Errorf("dataplane: put: %s: %d of %d shards healthy, quorum %d: %w",
		stage, healthy, len(r.outs), r.quorum, errors.Join(errs...))
}
