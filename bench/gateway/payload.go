package gateway

import (
	"io"
	"math/rand/v2"
)

// Block is an immutable block of deterministic pseudo-random bytes that
// request bodies repeat. Random rather than zero bytes keep any future
// compression or deduplication from flattering the figures.
type Block []byte

// NewBlock returns a Block of n bytes (at least 1) derived from seed.
func NewBlock(n int, seed uint64) Block {
	n = max(n, 1)
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make(Block, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Body returns a reader of exactly size bytes repeating b from offset off
// (mod len(b)). Readers share b, so any number of concurrent bodies cost
// one block of memory.
func (b Block) Body(size, off int64) *Body {
	return &Body{block: b, off: b.index(off), left: size}
}

// index maps any offset, negative ones included, into the block.
func (b Block) index(pos int64) int64 {
	n := int64(len(b))
	return (pos%n + n) % n
}

// At returns the byte a Body starting at offset 0 yields at position pos,
// for checking downloads.
func (b Block) At(pos int64) byte { return b[b.index(pos)] }

// Body is an io.Reader over a repeating Block with a fixed length.
type Body struct {
	block Block
	off   int64
	left  int64
}

// Read copies the next bytes of the repeating block into p.
func (r *Body) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.block[r.off:])
		n += c
		r.off = (r.off + int64(c)) % int64(len(r.block))
	}
	r.left -= int64(n)
	return n, nil
}

// Len reports the bytes not yet read.
func (r *Body) Len() int64 { return r.left }
