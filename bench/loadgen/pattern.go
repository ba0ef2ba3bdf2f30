package loadgen

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
)

// patternLen is the length of the repeating block object bodies are cut
// from: 1 MiB plus an odd tail so parts and ranges do not line up with it.
const patternLen = 1<<20 + 4093

// Pattern is the shared source of object bodies: the body of key is the
// block repeated, starting at an offset derived from the key. It is
// read-only after NewPattern, so workers share one.
type Pattern struct {
	block []byte // patternLen pseudo-random bytes
}

// NewPattern returns the block of pseudo-random bytes (fixed seed: two
// load generators agree on every object's content).
func NewPattern() *Pattern {
	r := rand.New(rand.NewPCG(0x5eed, 13))
	b := make([]byte, patternLen)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return &Pattern{block: b}
}

// start is the block offset of byte 0 of key's body.
func start(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int64(h.Sum64() % patternLen)
}

// Reader returns the body bytes [off, off+n) of key.
func (p *Pattern) Reader(key string, off, n int64) *BodyReader {
	return &BodyReader{p: p, pos: (start(key) + off) % patternLen, left: n}
}

// BodyReader streams part of an object's body without allocating.
type BodyReader struct {
	p    *Pattern
	pos  int64
	left int64
}

// Read implements io.Reader.
func (r *BodyReader) Read(b []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) && r.left > 0 {
		c := copy(b[n:min(int64(len(b)), int64(n)+r.left)], r.p.block[r.pos:patternLen])
		n += c
		r.left -= int64(c)
		r.pos = (r.pos + int64(c)) % patternLen
	}
	return n, nil
}

// WriteTo implements io.WriterTo: net/http then writes straight from the
// block, without an intermediate copy.
func (r *BodyReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.left > 0 {
		c := min(r.left, patternLen-r.pos)
		n, err := w.Write(r.p.block[r.pos : r.pos+c])
		total += int64(n)
		r.left -= int64(n)
		r.pos = (r.pos + int64(n)) % patternLen
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// verifier compares a downloaded body with the expected bytes.
type verifier struct {
	r   BodyReader
	off int64
}

// Write implements io.Writer, failing at the first byte that differs.
func (v *verifier) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		if v.r.left <= 0 {
			return done, fmt.Errorf("loadgen: body longer than expected at byte %d", v.off)
		}
		c := int(min(int64(len(b)-done), v.r.left, patternLen-v.r.pos))
		if !bytes.Equal(b[done:done+c], v.r.p.block[v.r.pos:v.r.pos+int64(c)]) {
			return done, fmt.Errorf("loadgen: body differs near byte %d", v.off)
		}
		done += c
		v.off += int64(c)
		v.r.left -= int64(c)
		v.r.pos = (v.r.pos + int64(c)) % patternLen
	}
	return done, nil
}
