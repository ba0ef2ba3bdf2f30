package dataplane

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/storage"
)

// getRun is the state of one Get.
type getRun struct {
	e      *Engine
	g      geometry
	coder  *erasure.Coder
	stream *aead.Stream
	ident  erasure.Identity
	set    *shardSet
	pool   *stripePool
	off    int64 // first byte wanted
	end    int64 // one past the last byte wanted
}

// Get writes bytes [off, off+n) of the stream to w, in order, and returns how
// many it wrote. n < 0 means "to the end"; a range running past the end is
// trimmed. Every chunk touched is authenticated before any of its bytes are
// written, so w never receives bytes that were not stored by Put: a stripe
// with fewer than k verified pieces that open together returns
// ErrUnrecoverable, a chunk that fails authentication an error wrapping
// aead.ErrOpen. It is Open, WriteTo and Close.
func (e *Engine) Get(ctx context.Context, l Layout, k *aead.Key, off, n int64, w io.Writer) (int64, error) {
	rd, err := e.Open(ctx, l, k, off, n)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	return rd.WriteTo(w)
}

// Reader streams a range whose first stripe has been decoded already, so a
// caller that got one from Open can answer success before sending a byte.
// It is used by one goroutine; Close releases it and must always be called.
type Reader struct {
	run         *getRun
	ctx         context.Context
	cancel      context.CancelFunc
	first, last uint64
	head        *stripe // the decoded first stripe until WriteTo sends it
	readAhead   int
	used        bool
}

// Open checks l, opens the shards it needs and decodes the first stripe of
// [off, off+n) (n < 0: to the end) before returning, so an object that
// cannot be read returns its error (ErrUnrecoverable, aead.ErrOpen, ErrRange,
// ErrLayout) before any byte is sent. ctx governs the whole read.
func (e *Engine) Open(ctx context.Context, l Layout, k *aead.Key, off, n int64) (*Reader, error) {
	g, err := e.checkLayout(l)
	if err != nil {
		return nil, err
	}
	if off < 0 || off > l.Size {
		return nil, fmt.Errorf("dataplane: get: offset %d of %d bytes: %w", off, l.Size, ErrRange)
	}
	end := l.Size
	if n >= 0 && n < l.Size-off {
		end = off + n
	}
	if end == off {
		return &Reader{used: true}, nil
	}
	if k == nil {
		return nil, fmt.Errorf("dataplane: get: nil key")
	}
	stream, err := k.Stream(l.DataID, l.Part)
	if err != nil {
		return nil, fmt.Errorf("dataplane: get: %w", err)
	}
	coder, err := e.coderFor(l.K, l.M)
	if err != nil {
		return nil, fmt.Errorf("dataplane: get: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &getRun{e: e, g: g, coder: coder, stream: stream, ident: erasure.NewIdentity(l.DataID),
		set: newShardSet(ctx, e, l), pool: e.poolFor(g), off: off, end: end}
	rd := &Reader{run: r, ctx: ctx, cancel: cancel, readAhead: e.o.ReadAhead,
		first: uint64(off / int64(g.chunk)), last: uint64((end - 1) / int64(g.chunk))}
	s := r.pool.get()
	if err := r.fetch(s, rd.first); err != nil {
		r.pool.put(s)
		rd.Close()
		return nil, err
	}
	rd.head = s
	return rd, nil
}

// WriteTo writes the range to w in order and returns how many bytes it
// wrote; the bytes before an error are always a correct prefix. A second
// call writes nothing.
func (rd *Reader) WriteTo(w io.Writer) (int64, error) {
	if rd.used {
		return 0, nil
	}
	rd.used = true
	s := rd.head
	rd.head = nil
	if rd.first == rd.last {
		n, err := rd.run.emit(w, s)
		rd.run.pool.put(s)
		return n, err
	}
	return rd.run.pipeline(rd.ctx, rd.cancel, w, s, rd.first+1, rd.last, rd.readAhead)
}

// Degraded lists the shard indices found missing, corrupt or unavailable so
// far, for the caller to queue the object for repair.
func (rd *Reader) Degraded() []int {
	if rd.run == nil {
		return nil
	}
	return rd.run.set.degraded()
}

// Close releases the shards and buffers. It is safe to call more than once.
func (rd *Reader) Close() error {
	if rd.run == nil {
		return nil
	}
	if rd.head != nil {
		rd.run.pool.put(rd.head)
		rd.head = nil
	}
	rd.used = true
	rd.cancel()
	rd.run.set.close()
	return nil
}

// checkLayout validates l and returns its geometry.
func (e *Engine) checkLayout(l Layout) (geometry, error) {
	switch {
	case l.K < 1 || l.M < 1 || l.K+l.M > 64 || len(l.OSDs) != l.K+l.M:
		return geometry{}, fmt.Errorf("dataplane: %d+%d with %d OSDs: %w", l.K, l.M, len(l.OSDs), ErrLayout)
	case l.ChunkSize < MinChunkSize || l.ChunkSize > MaxChunkSize:
		return geometry{}, fmt.Errorf("dataplane: chunk size %d: %w", l.ChunkSize, ErrLayout)
	case l.Size < 0:
		return geometry{}, fmt.Errorf("dataplane: size %d: %w", l.Size, ErrLayout)
	}
	return newGeometry(l.Size, l.ChunkSize, l.K, l.M), nil
}

// pipeline fetches stripes first..last with readAhead fetchers and writes
// them in order from the calling goroutine, after head (the decoded stripe
// first-1, written while the fetchers start). Tokens bound the stripes in
// flight to readAhead, so their indices always fit the reorder ring.
func (r *getRun) pipeline(ctx context.Context, cancel context.CancelFunc, w io.Writer, head *stripe,
	first, last uint64, readAhead int) (int64, error) {
	fetchers := int(min(uint64(readAhead), last-first+1))
	sem := make(chan struct{}, fetchers)
	idxs := make(chan uint64, fetchers)
	results := make(chan *stripe, fetchers)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(idxs)
		for i := first; i <= last; i++ {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			idxs <- i
		}
	})
	for range fetchers {
		wg.Go(func() {
			for i := range idxs {
				s := r.pool.get()
				if err := ctx.Err(); err != nil {
					s.idx, s.err = i, err
				} else if err := r.fetch(s, i); err != nil {
					s.err = err
				}
				results <- s
			}
		})
	}

	ring := make([]*stripe, fetchers)
	size := uint64(fetchers)
	written, err := r.emit(w, head)
	r.pool.put(head)
	next := first
	if err != nil {
		next = last + 1 // skip the loop; the fetchers are cancelled below
	}
loop:
	for next <= last {
		select {
		case s := <-results:
			ring[s.idx%size] = s
		case <-ctx.Done():
			err = fmt.Errorf("dataplane: get: %w", ctx.Err())
			break loop
		}
		for s := ring[next%size]; s != nil && s.idx == next; s = ring[next%size] {
			ring[next%size] = nil
			if err = s.err; err == nil {
				var nw int64
				nw, err = r.emit(w, s)
				written += nw
			}
			r.pool.put(s)
			<-sem
			if err != nil {
				break loop
			}
			next++
		}
	}
	cancel()
	wg.Wait()
	close(results)
	for s := range results {
		r.pool.put(s)
	}
	for _, s := range ring {
		if s != nil {
			r.pool.put(s)
		}
	}
	return written, err
}

// emit writes the wanted part of stripe s's plaintext to w.
func (r *getRun) emit(w io.Writer, s *stripe) (int64, error) {
	start := int64(s.idx) * int64(r.g.chunk)
	a, b := int64(0), int64(s.n)
	if r.off > start {
		a = r.off - start
	}
	if r.end < start+b {
		b = r.end - start
	}
	n, err := w.Write(s.buf[a:b])
	if err == nil && int64(n) < b-a {
		err = io.ErrShortWrite
	}
	if err != nil {
		return int64(n), fmt.Errorf("dataplane: get: write: %w", err)
	}
	return int64(n), nil
}

// fetch reads, verifies, if needed reconstructs, and opens chunk i into s:
// on success s.buf[:s.n] is the chunk's plaintext.
//
// Frames are read one ReadAt each, piece j into s.buf[j·p:], so the data
// pieces land contiguously; the 4-byte trailer of frame j spills over the
// first bytes of piece j+1, which readPiece saves and restores. Shards in
// good standing are read first, unhealthy or suspect ones only when the
// others do not give k verified pieces. If the chunk then fails to open,
// fetchHard tries every other k-subset.
func (r *getRun) fetch(s *stripe, i uint64) error {
	g := r.g
	s.idx, s.n, s.final = i, g.chunkLen(i), i == g.count-1
	ctLen := s.n + aead.Overhead
	p := pieceSize(ctLen, g.k)
	s.layout(p)
	base := g.frameOffset(i)

	total := g.k + g.m
	var good, tried uint64
	ngood := 0
	for pass := 0; pass < 2 && ngood < g.k; pass++ {
		for j := 0; j < total && ngood < g.k; j++ {
			if tried&(1<<j) != 0 || r.set.order(j) != pass {
				continue
			}
			tried |= 1 << j
			if r.readPiece(s, j, i, p, base) {
				good |= 1 << j
				ngood++
			}
		}
	}
	if ngood < g.k {
		return fmt.Errorf("dataplane: chunk %d: %d of %d pieces readable, need %d: %w",
			i, ngood, total, g.k, ErrUnrecoverable)
	}
	if good != 1<<g.k-1 {
		for x := range total {
			if good&(1<<x) == 0 {
				if x < g.k {
					s.shards[x] = s.shards[x][:0] // rebuilt in place
				} else {
					s.shards[x] = nil
				}
			}
		}
		if err := r.coder.ReconstructData(s.shards); err != nil {
			return fmt.Errorf("dataplane: chunk %d: %w", i, err)
		}
		s.layout(p)
	}
	_, err := r.stream.Open(s.buf[:0], s.buf[:ctLen], i, s.final)
	if err == nil {
		return nil
	}
	return r.fetchHard(s, i, err)
}

// readPiece reads frame j of stripe i at base into s.buf[j·p:] and checks
// its tag; false means the piece is missing, short, foreign, corrupt or
// late, and the shard is marked accordingly.
func (r *getRun) readPiece(s *stripe, j int, i uint64, p int, base int64) bool {
	rd := r.set.reader(j)
	if rd == nil {
		return false
	}
	frame := s.buf[j*p : j*p+p+erasure.FrameOverhead]
	var next [erasure.FrameOverhead]byte
	copy(next[:], frame[p:])
	n, err, timedOut := r.e.readAt(r.set.ctx, rd, s.slot, frame, base)
	if timedOut {
		r.set.mark(j, ShardUnavailable, fmt.Errorf("shard %d: read: %w", j, err))
		s.detach(j, p, next)
		return false
	}
	ok := n == len(frame) && r.ident.CheckPiece(frame[:p], binary.LittleEndian.Uint32(frame[p:]), j, i) == nil
	copy(frame[p:], next[:])
	switch {
	case ok: // an error with a full read (io.EOF at the end) is fine
	case errors.Is(err, storage.ErrNotFound): // a lazy open found no shard
		r.set.mark(j, ShardMissing, fmt.Errorf("shard %d: %w", j, err))
	case err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF):
		r.set.mark(j, ShardUnavailable, fmt.Errorf("shard %d: read: %w", j, err))
	default:
		r.set.mark(j, ShardCorrupt, nil)
	}
	return ok
}

// fetchHard is the slow path of a chunk whose k verified pieces did not
// open: it reads every available frame of stripe i, and tries each k-subset
// of the verified pieces until one opens. Pieces that disagree with the
// subset that opened are marked corrupt. It allocates; it runs only on
// damaged data.
func (r *getRun) fetchHard(s *stripe, i uint64, openErr error) error {
	g := r.g
	total := g.k + g.m
	ctLen := s.n + aead.Overhead
	p := pieceSize(ctLen, g.k)
	base := g.frameOffset(i)
	pieces := make([][]byte, total)
	var avail []int
	q := newReadSlot()
	for j := range total {
		rd := r.set.reader(j)
		if rd == nil {
			continue
		}
		f := make([]byte, p+erasure.FrameOverhead)
		n, err, timedOut := r.e.readAt(r.set.ctx, rd, q, f, base)
		if timedOut {
			q = newReadSlot()
			r.set.mark(j, ShardUnavailable, fmt.Errorf("shard %d: read: %w", j, err))
			continue
		}
		if n == len(f) && r.ident.CheckPiece(f[:p], binary.LittleEndian.Uint32(f[p:]), j, i) == nil {
			pieces[j] = f[:p]
			avail = append(avail, j)
		}
	}
	if len(avail) < g.k {
		return fmt.Errorf("dataplane: chunk %d: %d verified pieces, need %d: %w (%w)",
			i, len(avail), g.k, ErrUnrecoverable, openErr)
	}
	shards := make([][]byte, total)
	work := make([]byte, g.k*p)
	comb := make([]int, g.k) // indices into avail, increasing
	for x := range comb {
		comb[x] = x
	}
	for {
		clear(shards)
		for _, c := range comb {
			shards[avail[c]] = pieces[avail[c]]
		}
		for x := range g.k {
			if shards[x] == nil {
				shards[x] = work[x*p : x*p : x*p+p]
			}
		}
		if err := r.coder.ReconstructData(shards); err == nil {
			s.layout(p)
			for x := range g.k {
				copy(s.shards[x], shards[x])
			}
			if _, err := r.stream.Open(s.buf[:0], s.buf[:ctLen], i, s.final); err == nil {
				r.markDisagreeing(shards[:g.k], pieces, p)
				return nil
			}
		}
		if !nextComb(comb, len(avail)) {
			break
		}
	}
	return fmt.Errorf("dataplane: chunk %d: no %d of %d verified pieces open: %w (%w)",
		i, g.k, len(avail), ErrUnrecoverable, openErr)
}

// markDisagreeing re-encodes the data pieces that opened and marks every
// verified piece that differs from its re-encoding as corrupt: a frame with
// a valid tag but wrong content.
func (r *getRun) markDisagreeing(data, pieces [][]byte, p int) {
	full := make([][]byte, len(pieces))
	copy(full, data)
	for x := len(data); x < len(full); x++ {
		full[x] = make([]byte, p)
	}
	if r.coder.Encode(full) != nil {
		return
	}
	for j, pc := range pieces {
		if pc != nil && !bytes.Equal(pc, full[j]) {
			r.set.mark(j, ShardCorrupt, nil)
		}
	}
}

// nextComb advances comb to the next k-subset of 0..n-1 in lexicographic
// order; false when comb was the last.
func nextComb(comb []int, n int) bool {
	k := len(comb)
	x := k - 1
	for x >= 0 && comb[x] == n-k+x {
		x--
	}
	if x < 0 {
		return false
	}
	comb[x]++
	for y := x + 1; y < k; y++ {
		comb[y] = comb[y-1] + 1
	}
	return true
}
