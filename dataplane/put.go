package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

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
	ident  erasure.Identity // frame tags of this stream
	quorum int32
	size   int64          // declared body length, -1 unknown
	k      int            // data pieces per stripe
	coder  *erasure.Coder // for this stream's k+m
	pool   *stripePool    // stripes of this stream's geometry

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
	j   int
	osd storage.OSD
	w   storage.ShardWriter
	ch  chan *stripe

	// dead is set once, by whoever drops the shard (its writer on an error,
	// the watchdog on a hung write, commit); only that party sets err, and
	// before finish, so Put reads err after joining.
	dead atomic.Bool
	err  error
	busy atomic.Int64 // unix ns when the current Write started; 0 = idle

	once sync.Once
	done chan struct{} // closed when the writer exits or is given up on
}

// finish marks the writer joined (idempotent).
func (o *shardOut) finish() { o.once.Do(func() { close(o.done) }) }

// drop marks the shard dead with err; false if it was dead already.
func (o *shardOut) drop(err error) bool {
	if !o.dead.CompareAndSwap(false, true) {
		return false
	}
	o.err = err
	return true
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
	k, m, quorum, err := e.redundancy(req.K, req.M)
	if err != nil {
		return PutResult{}, err
	}
	coder, err := e.coderFor(k, m)
	if err != nil {
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}
	n := k + m
	placed, err := storage.Place(e.b.OSDs(), dataID, n)
	if err != nil {
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}

	r := &putRun{
		e: e, stream: stream, ident: erasure.NewIdentity(dataID), quorum: int32(quorum), size: req.Size,
		k: k, coder: coder, pool: e.poolFor(newGeometry(0, e.o.ChunkSize, k, m)),
		sem:  make(chan struct{}, e.o.InFlight),
		jobs: make(chan *stripe, e.o.InFlight),
		done: make(chan *stripe, e.o.InFlight),
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()

	r.createWriters(placed, dataID, req.Size)
	stopWatch := r.watch()
	if err := ctx.Err(); err != nil {
		stopWatch()
		r.abortAll()
		return PutResult{}, fmt.Errorf("dataplane: put: %w", err)
	}
	if r.alive.Load() < r.quorum {
		stopWatch()
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
		go r.write(o)
	}

	// The phases show as regions in an execution trace (go tool trace):
	// the body streaming in, the shard writers draining after its last
	// byte, and the shard commits (with the last hashes).
	region := trace.StartRegion(ctx, "dataplane.put.body")
	total, crc := r.read(&limitReader{r: req.Body, max: limit}, digests, req.CRC32C)
	region.End()
	region = trace.StartRegion(ctx, "dataplane.put.drain")
	close(r.jobs)
	workers.Wait()
	close(r.done)
	rest.Wait()
	for _, o := range r.outs {
		<-o.done
	}
	stopWatch()
	region.End()

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
	// The shard commits (fsyncs) need not wait for the hashes: the
	// digester may still be working through its last queued chunks (MD5
	// is the slowest stage), so both finish side by side.
	sumsc := make(chan map[string][]byte, 1)
	go func() { sumsc <- digests.Close() }()
	region = trace.StartRegion(ctx, "dataplane.put.commit")
	osds, err := r.commit(ctx, dataID)
	sums := <-sumsc
	region.End()
	if err != nil {
		return PutResult{}, err
	}
	return PutResult{
		Layout: Layout{DataID: dataID, Part: req.Part, Size: total, ChunkSize: e.o.ChunkSize,
			K: k, M: m, OSDs: osds},
		Sums:   sums,
		CRC32C: crc,
	}, nil
}

// createWriters opens one shard writer per placed OSD, in parallel and
// under the shard deadline; a failed Create drops that shard like a failed
// write would. An OSD that reports itself unhealthy is dropped at once.
//
// When the body's size is known, every shard's length is too, and it goes
// to the backends as a hint (storage.WithShardSize): the local backend then
// writes large shards with O_DIRECT from the first byte instead of copying
// their first MiB through the page cache.
//
// The shard names are fresh (storage.WithFreshShard): dataID was drawn at
// random for this stream, and no manifest or part record names it before
// Put has returned, which is after every Commit below has returned. So a
// backend may publish a shard's name before the shard is durable (the local
// backend renames first and then fsyncs the file and its directory at
// once): a crash in between leaves an unreferenced shard, which orphan
// collection removes, and a failed commit removes the name itself.
func (r *putRun) createWriters(placed []storage.OSD, dataID [16]byte, size int64) {
	cctx := storage.WithFreshShard(r.ctx)
	if size >= 0 {
		cctx = storage.WithShardSize(cctx, newGeometry(size, r.e.o.ChunkSize, r.k, len(placed)-r.k).shardSize())
	}
	r.outs = make([]*shardOut, len(placed))
	idx := make([]int, 0, len(placed))
	for j, osd := range placed {
		o := &shardOut{j: j, osd: osd, ch: make(chan *stripe, r.e.o.InFlight), done: make(chan struct{})}
		r.outs[j] = o
		if !storage.Healthy(osd) {
			o.drop(fmt.Errorf("shard %d on %s: create: OSD unhealthy: %w", j, osd.ID(), storage.ErrUnavailable))
			continue
		}
		idx = append(idx, j)
	}
	ws, errs := boundedAll(r.e, r.ctx, idx,
		func(j int) (storage.ShardWriter, error) { return placed[j].Create(cctx, ShardName(dataID, j)) },
		func(_ int, w storage.ShardWriter) { w.Abort() })
	for x, j := range idx {
		o := r.outs[j]
		if errs[x] != nil {
			o.drop(fmt.Errorf("shard %d on %s: create: %w", j, o.osd.ID(), errs[x]))
			continue
		}
		o.w = ws[x]
		r.alive.Add(1)
	}
}

// watch starts the write watchdog: a shard whose Write has run past the
// shard deadline is dropped (its writer goroutine, still blocked, aborts it
// when the Write returns) and its queue drained, so the other shards go on.
// The returned func stops the watchdog.
func (r *putRun) watch() (stop func()) {
	timeout := r.e.o.ShardTimeout
	if timeout < 0 {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(max(timeout/4, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				for _, o := range r.outs {
					if b := o.busy.Load(); b != 0 && now.UnixNano()-b > int64(timeout) {
						r.giveUp(o)
					}
				}
			}
		}
	})
	return sync.OnceFunc(func() {
		close(quit)
		wg.Wait()
	})
}

// giveUp drops a shard whose write hangs and takes over its queue.
func (r *putRun) giveUp(o *shardOut) {
	if !o.drop(fmt.Errorf("shard %d on %s: write: %w", o.j, o.osd.ID(), errShardTimeout)) {
		return
	}
	if r.alive.Add(-1) < r.quorum {
		r.fail(errLostQuorum)
	}
	go func() {
		for s := range o.ch {
			r.release(s)
		}
	}()
	o.finish()
}

// read is the reader stage, run on the caller's goroutine: it takes an
// in-flight token, cuts the next chunk, queues it for the digests and the
// workers, and returns the byte count and, when withCRC, the whole-stream
// CRC32C.
func (r *putRun) read(body io.Reader, digests *chunker.Digester, withCRC bool) (total int64, crc uint32) {
	c := chunker.NewNoCRC(body, r.e.plain)
	if withCRC {
		c = chunker.New(body, r.e.plain)
	}
	c.Expect(r.size)
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
		if withCRC {
			crc = chunker.CombineCRC32C(crc, ch.CRC32C, int64(ch.N))
		}
		s := r.pool.get()
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
// parity pieces in place after them, and the identity-bound frame tags.
func (r *putRun) seal(s *stripe) error {
	defer r.e.o.Stats.end(StageSeal, r.e.o.Stats.begin())
	k := r.k
	ct := r.stream.Seal(s.buf[:0], s.plain.B[:s.n], s.idx, s.final)
	p := pieceSize(len(ct), k)
	clear(s.buf[len(ct) : k*p])
	s.layout(p)
	if err := r.coder.Encode(s.shards); err != nil {
		return fmt.Errorf("dataplane: put: chunk %d: %w", s.idx, err)
	}
	for j, sh := range s.shards {
		erasure.PutTag(s.trailer(j), r.ident.Tag(sh, j, s.idx))
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
		r.pool.put(s)
		<-r.sem
	}
}

// write is shard o's ordered writer: frame = piece ‖ tag trailer. A write
// error drops the shard; losing the quorum fails the run. Once the shard is
// dropped the writer only releases stripes (the watchdog's drainer may be
// doing the same), and aborts its shard writer when it exits.
func (r *putRun) write(o *shardOut) {
	defer o.finish()
	for s := range o.ch {
		if !o.dead.Load() && !s.skip && r.ctx.Err() == nil {
			t := r.e.o.Stats.begin()
			o.busy.Store(time.Now().UnixNano())
			err := writeFull(o.w, s.shards[o.j])
			if err == nil {
				err = writeFull(o.w, s.trailer(o.j))
			}
			o.busy.Store(0)
			r.e.o.Stats.end(StageWrite, t)
			if err != nil && o.drop(fmt.Errorf("shard %d on %s: chunk %d: %w", o.j, o.osd.ID(), s.idx, err)) {
				if r.alive.Add(-1) < r.quorum {
					r.fail(errLostQuorum) // detailed by Put once all writers are joined
				}
			}
		}
		r.release(s)
	}
	if o.dead.Load() && o.w != nil {
		o.w.Abort()
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

// commit commits the healthy shards in parallel (fsync latency overlaps),
// each under the shard deadline, and returns the per-shard OSD IDs. Below
// quorum it removes what did commit. A commit that completes after its
// deadline is removed in the background: the layout no longer names it.
func (r *putRun) commit(ctx context.Context, dataID [16]byte) ([]string, error) {
	idx := make([]int, 0, len(r.outs))
	for _, o := range r.outs {
		if !o.dead.Load() {
			idx = append(idx, o.j)
		}
	}
	_, errs := boundedAll(r.e, context.WithoutCancel(ctx), idx,
		func(j int) (struct{}, error) { return struct{}{}, r.outs[j].w.Commit() },
		func(j int, _ struct{}) { r.outs[j].osd.Remove(context.WithoutCancel(ctx), ShardName(dataID, j)) })
	for x, j := range idx {
		if err := errs[x]; err != nil {
			o := r.outs[j]
			o.drop(fmt.Errorf("shard %d on %s: commit: %w", j, o.osd.ID(), err))
			if !errors.Is(err, errShardTimeout) {
				o.w.Abort()
			}
		}
	}
	ids := make([]string, len(r.outs))
	committed := 0
	for _, o := range r.outs {
		if !o.dead.Load() {
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
		if !o.dead.Load() {
			o.osd.Remove(rmCtx, ShardName(dataID, o.j))
		}
	}
	return nil, err
}

// abortAll aborts every shard writer that is not dropped (a dropped one is
// aborted by its own writer goroutine, which may still be inside a Write).
func (r *putRun) abortAll() {
	for _, o := range r.outs {
		if o.w != nil && !o.dead.Load() {
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
		if o.dead.Load() {
			errs = append(errs, o.err)
		} else {
			healthy++
		}
	}
	return fmt.Errorf("dataplane: put: %s: %d of %d shards healthy, quorum %d: %w",
		stage, healthy, len(r.outs), r.quorum, errors.Join(errs...))
}
