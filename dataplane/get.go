package dataplane

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/erasure"
)

// getRun is the state of one Get.
type getRun struct {
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
// with more than m unreadable pieces returns ErrUnrecoverable, a chunk that
// fails authentication an error wrapping aead.ErrOpen.
func (e *Engine) Get(ctx context.Context, l Layout, k *aead.Key, off, n int64, w io.Writer) (int64, error) {
	g, err := e.checkLayout(l)
	if err != nil {
		return 0, err
	}
	if off < 0 || off > l.Size {
		return 0, fmt.Errorf("dataplane: get: offset %d of %d bytes: %w", off, l.Size, ErrRange)
	}
	end := l.Size
	if n >= 0 && n < l.Size-off {
		end = off + n
	}
	if end == off {
		return 0, nil
	}
	if k == nil {
		return 0, fmt.Errorf("dataplane: get: nil key")
	}
	stream, err := k.Stream(l.DataID, l.Part)
	if err != nil {
		return 0, fmt.Errorf("dataplane: get: %w", err)
	}
	coder, err := e.coderFor(l.K, l.M)
	if err != nil {
		return 0, fmt.Errorf("dataplane: get: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &getRun{g: g, coder: coder, stream: stream, ident: erasure.NewIdentity(l.DataID), set: newShardSet(ctx, e, l),
		pool: e.poolFor(g), off: off, end: end}
	defer r.set.close()

	first := uint64(off / int64(g.chunk))
	last := uint64((end - 1) / int64(g.chunk))
	if first == last {
		// One stripe: no goroutines.
		s := r.pool.get()
		defer r.pool.put(s)
		if err := r.fetch(s, first); err != nil {
			return 0, err
		}
		return r.emit(w, s)
	}
	return r.pipeline(ctx, cancel, w, first, last, e.o.ReadAhead)
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
// them in order from the calling goroutine. Tokens bound the stripes in
// flight to readAhead, so their indices always fit the reorder ring.
func (r *getRun) pipeline(ctx context.Context, cancel context.CancelFunc, w io.Writer,
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
	var written int64
	var err error
	next := first
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
// first bytes of piece j+1, which is why pieces are read in increasing order
// and each trailer is checked before the next read overwrites it.
func (r *getRun) fetch(s *stripe, i uint64) error {
	g := r.g
	s.idx, s.n, s.final = i, g.chunkLen(i), i == g.count-1
	ctLen := s.n + aead.Overhead
	p := pieceSize(ctLen, g.k)
	s.layout(p)
	base := g.frameOffset(i)

	good, total := 0, g.k+g.m
	var bad uint64 // pieces missing or corrupt among those tried
	j := 0
	for ; j < total && good < g.k; j++ {
		if r.readPiece(s, j, i, p, base) {
			good++
		} else {
			bad |= 1 << j
		}
	}
	if good < g.k {
		return fmt.Errorf("dataplane: chunk %d: %d of %d pieces readable, need %d: %w",
			i, good, total, g.k, ErrUnrecoverable)
	}
	if bad != 0 {
		for x := range total {
			switch {
			case x >= j || bad&(1<<x) != 0:
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
	if _, err := r.stream.Open(s.buf[:0], s.buf[:ctLen], i, s.final); err != nil {
		return fmt.Errorf("dataplane: chunk %d: %w", i, err)
	}
	return nil
}

// readPiece reads frame j of the stripe at base into s.buf[j·p:] and checks
// its CRC32C; false means the piece is missing, short or corrupt.
func (r *getRun) readPiece(s *stripe, j int, i uint64, p int, base int64) bool {
	rd := r.set.reader(j)
	if rd == nil {
		return false
	}
	frame := s.buf[j*p : j*p+p+erasure.FrameOverhead]
	if n, _ := rd.ReadAt(frame, base); n != len(frame) {
		return false // an error with a full read (io.EOF at the end) is fine
	}
	return r.ident.CheckPiece(frame[:p], binary.LittleEndian.Uint32(frame[p:]), j, i) == nil
}
