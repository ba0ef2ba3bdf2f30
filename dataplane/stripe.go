package dataplane

import (
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/chunker"
	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/internal/freelist"
)

// stripe is one chunk in flight: its sealed pieces, parity pieces and frame
// trailers. buf holds ciphertext pieces and parity back to back, so the
// Reed-Solomon shards are sub-slices of it and the GCM output is never
// copied.
type stripe struct {
	idx    uint64
	n      int // plaintext bytes
	p      int // piece size
	final  bool
	buf    []byte
	shards [][]byte // k+m sub-slices of buf
	crc    []byte   // 4 bytes per shard: the frame trailers (PUT)
	refs   atomic.Int32

	plain *chunker.Buf // PUT: the chunk's plaintext until sealed
	skip  bool         // PUT: pipeline failed, do not write
	err   error        // GET: fetch or open failure
	slot  *readSlot    // GET: this stripe's read request and deadline timer
	run   *putRun      // PUT: where to return the in-flight token
}

// stripePool recycles stripes of one geometry (piece size and k+m): up to
// its keep count of idle stripes in a free list that garbage collection
// never empties (see chunker.Pool for why), the rest in a sync.Pool.
type stripePool struct {
	k, m, pFull int
	free        *freelist.List[*stripe]
}

func newStripePool(g geometry, keep int) *stripePool {
	size := g.stripeBytes()
	sp := &stripePool{k: g.k, m: g.m, pFull: g.pFull}
	sp.free = freelist.New(keep, func() *stripe {
		return &stripe{
			buf:    make([]byte, size),
			shards: make([][]byte, g.k+g.m),
			crc:    make([]byte, erasure.FrameOverhead*(g.k+g.m)),
			slot:   newReadSlot(),
		}
	})
	return sp
}

// matches reports whether stripes from this pool fit geometry g.
func (sp *stripePool) matches(g geometry) bool {
	return sp.k == g.k && sp.m == g.m && sp.pFull == g.pFull
}

func (sp *stripePool) get() *stripe { return sp.free.Get() }

func (sp *stripePool) put(s *stripe) {
	s.plain, s.run, s.err, s.skip = nil, nil, nil, false
	sp.free.Put(s)
}

// layout points s.shards at piece size p inside s.buf.
func (s *stripe) layout(p int) {
	s.p = p
	for j := range s.shards {
		s.shards[j] = s.buf[j*p : (j+1)*p : (j+1)*p]
	}
}

// trailer is shard j's 4-byte frame trailer.
func (s *stripe) trailer(j int) []byte {
	return s.crc[j*erasure.FrameOverhead : (j+1)*erasure.FrameOverhead]
}

// detach gives s a fresh buffer and read slot after the read of frame j
// (piece size p) timed out: the old ones belong to the hung read for good.
// Everything but that frame is copied over; next is what the frame's
// trailer region held before the read.
func (s *stripe) detach(j, p int, next [erasure.FrameOverhead]byte) {
	nb := make([]byte, len(s.buf))
	copy(nb[:j*p], s.buf[:j*p])
	copy(nb[(j+1)*p+erasure.FrameOverhead:], s.buf[(j+1)*p+erasure.FrameOverhead:])
	copy(nb[(j+1)*p:], next[:])
	s.buf, s.slot = nb, newReadSlot()
	s.layout(p)
}
