package chunker

import (
	"fmt"
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/internal/freelist"
)

// Pool hands out reference-counted buffers of one fixed size. Up to its
// keep count of idle buffers wait in a free list the garbage collector
// never empties; the rest go to a sync.Pool, so a burst's extra buffers are
// reclaimed once idle while a busy pipeline reuses the same few buffers
// without allocating (internal/freelist says why both: backed only by a
// sync.Pool, the PUT pipeline re-made ≈ 0.1 GB of chunk and stripe buffers
// per GB written under tight heap pacing).
type Pool struct {
	size int
	free *freelist.List[*Buf]
}

// NewPool returns a pool of buffers of size bytes (at least 1) backed only
// by a sync.Pool.
func NewPool(size int) *Pool { return NewPoolKeep(size, 0) }

// NewPoolKeep is NewPool with a free list of up to keep idle buffers that
// survive garbage collection (keep·size bytes stay allocated once used).
func NewPoolKeep(size, keep int) *Pool {
	if size < 1 {
		size = 1
	}
	p := &Pool{size: size}
	p.free = freelist.New(keep, func() *Buf { return &Buf{B: make([]byte, size), pool: p} })
	return p
}

// Allocated reports how many buffers the pool has ever created: a steady
// pipeline stops creating them, which tests and metrics use to show that
// memory does not grow with the stream length.
func (p *Pool) Allocated() int64 { return p.free.Made() }

// Size is the length of every buffer the pool returns.
func (p *Pool) Size() int { return p.size }

// Get returns a buffer of Size bytes with a reference count of one. Its
// contents are whatever the previous user left there.
func (p *Pool) Get() *Buf {
	b := p.free.Get()
	b.B = b.B[:p.size]
	b.refs.Store(1)
	return b
}

// put returns an idle buffer: to the free list while it has room.
func (p *Pool) put(b *Buf) { p.free.Put(b) }

// Buf is a pooled buffer shared by several pipeline stages (the sealing worker
// and the digest goroutines read the same plaintext). Each holder releases its
// reference once; the last release returns the buffer to its pool.
type Buf struct {
	// B is the buffer, Size bytes long when handed out.
	B    []byte
	refs atomic.Int32
	pool *Pool
}

// Retain adds n references, one for each extra holder that will call Release.
func (b *Buf) Retain(n int) { b.refs.Add(int32(n)) }

// Release drops one reference; the last one returns the buffer to its pool.
// Releasing more often than retained is a programming error and panics,
// because a buffer handed out twice would silently corrupt data.
func (b *Buf) Release() {
	switch r := b.refs.Add(-1); {
	case r == 0:
		if b.pool != nil {
			b.pool.put(b)
		}
	case r < 0:
		panic(fmt.Sprintf("chunker: Buf released %d times too often", -r))
	}
}
