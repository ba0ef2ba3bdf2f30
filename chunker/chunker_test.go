package chunker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 99))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// collect drains a chunker, checking every per-chunk invariant, and returns
// the reassembled stream.
func collect(t *testing.T, c *Chunker, size int) []byte {
	t.Helper()
	var out []byte
	for i := uint64(0); ; i++ {
		ch, err := c.Next()
		if err == io.EOF {
			t.Fatalf("io.EOF before a Final chunk (after %d chunks)", i)
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ch.Index != i {
			t.Fatalf("chunk index %d, want %d", ch.Index, i)
		}
		if ch.N > size || (!ch.Final && ch.N != size) {
			t.Fatalf("chunk %d has %d bytes (final=%v, size %d)", i, ch.N, ch.Final, size)
		}
		want := CRC32C(ch.Bytes())
		if c.noCRC {
			want = 0 // NewNoCRC: never computed
		}
		if ch.CRC32C != want {
			t.Fatalf("chunk %d CRC %08x, want %08x", i, ch.CRC32C, want)
		}
		if ch.Final && ch.N == 0 && i != 0 {
			t.Fatalf("empty Final chunk %d after data", i)
		}
		out = append(out, ch.Bytes()...)
		ch.Data.Release()
		if ch.Final {
			break
		}
	}
	if _, err := c.Next(); err != io.EOF {
		t.Fatalf("Next after Final = %v, want io.EOF", err)
	}
	return out
}

func TestChunkBoundaries(t *testing.T) {
	const size = 1000
	readers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for _, n := range []int{0, 1, size - 1, size, size + 1, 2 * size, 3*size + 7, 12345} {
		for rname, wrap := range readers {
			for _, noCRC := range []bool{false, true} {
				t.Run(fmt.Sprintf("len=%d/%s/nocrc=%v", n, rname, noCRC), func(t *testing.T) {
					want := randBytes(uint64(n), n)
					c := New(wrap(bytes.NewReader(want)), NewPool(size))
					if noCRC {
						c = NewNoCRC(wrap(bytes.NewReader(want)), NewPool(size))
					}
					got := collect(t, c, size)
					if !bytes.Equal(got, want) {
						t.Fatalf("reassembled %d bytes differ from the %d written", len(got), len(want))
					}
					if c.Total() != int64(n) {
						t.Fatalf("Total = %d, want %d", c.Total(), n)
					}
				})
			}
		}
	}
}

func TestChunkCount(t *testing.T) {
	const size = 64
	for _, n := range []int{0, 1, 63, 64, 65, 128, 129} {
		c := New(bytes.NewReader(make([]byte, n)), NewPool(size))
		count := 0
		for {
			ch, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ch.Data.Release()
			count++
		}
		want := max(1, (n+size-1)/size)
		if count != want {
			t.Fatalf("len %d: %d chunks, want %d", n, count, want)
		}
	}
}

func TestEmptyStreamFinal(t *testing.T) {
	c := New(bytes.NewReader(nil), NewPool(16))
	ch, err := c.Next()
	if err != nil || !ch.Final || ch.N != 0 || ch.Index != 0 {
		t.Fatalf("empty stream: %+v, %v; want one empty Final chunk", ch, err)
	}
	if ch.CRC32C != 0 {
		t.Fatalf("CRC of empty chunk = %08x, want 0", ch.CRC32C)
	}
	ch.Data.Release()
}

func TestReadErrorSticky(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(make([]byte, 10)), iotest.ErrReader(boom))
	c := New(r, NewPool(4))
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		var ch Chunk
		ch, err = c.Next()
		if err == nil {
			ch.Data.Release()
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapped boom", err)
	}
	if _, err2 := c.Next(); !errors.Is(err2, boom) {
		t.Fatalf("second Next = %v, want the same error", err2)
	}
}

func TestPeekError(t *testing.T) {
	// The error arrives exactly at a chunk boundary, during the look-ahead.
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(make([]byte, 8)), iotest.ErrReader(boom))
	c := New(r, NewPool(8))
	if _, err := c.Next(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom from the look-ahead", err)
	}
}

func FuzzChunker(f *testing.F) {
	f.Add([]byte{}, uint16(1))
	f.Add([]byte("hello world"), uint16(4))
	f.Add(bytes.Repeat([]byte{7}, 64), uint16(16))
	f.Add(bytes.Repeat([]byte{1}, 100), uint16(33))
	f.Fuzz(func(t *testing.T, data []byte, size uint16) {
		sz := int(size%512) + 1
		c := New(iotest.HalfReader(bytes.NewReader(data)), NewPool(sz))
		if got := collect(t, c, sz); !bytes.Equal(got, data) {
			t.Fatalf("reassembly mismatch")
		}
	})
}

// TestUnexpectedEOFIsAnError makes sure a body cut short (a reader that
// reports io.ErrUnexpectedEOF itself) is never taken for a complete stream,
// at a chunk boundary or inside a chunk.
func TestUnexpectedEOFIsAnError(t *testing.T) {
	for _, n := range []int{0, 3, 8, 16, 21} {
		r := io.MultiReader(bytes.NewReader(make([]byte, n)), iotest.ErrReader(io.ErrUnexpectedEOF))
		c := New(r, NewPool(8))
		var err error
		for err == nil {
			var ch Chunk
			if ch, err = c.Next(); err == nil {
				ch.Data.Release()
				if ch.Final {
					t.Fatalf("n=%d: a truncated body produced a Final chunk", n)
				}
			}
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("n=%d: err = %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
}

// zeroReader returns (0, nil) forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestNoProgress(t *testing.T) {
	if _, err := New(zeroReader{}, NewPool(8)).Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

// countingReader records the length of every Read asked of it.
type countingReader struct {
	r    io.Reader
	asks []int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.asks = append(c.asks, len(p))
	return c.r.Read(p)
}

// TestExpect: with the stream length declared, full chunks before the end
// come without the one-byte look-ahead, the chunks and the stream are the
// same, a longer stream is still seen at the declared end, and a shorter
// one ends in a Final chunk with Total short.
func TestExpect(t *testing.T) {
	const size = 1000
	for _, n := range []int{0, 1, size - 1, size, size + 1, 2 * size, 3*size + 7, 12345} {
		t.Run(fmt.Sprintf("len=%d", n), func(t *testing.T) {
			want := randBytes(uint64(n), n)
			src := &countingReader{r: bytes.NewReader(want)}
			c := NewNoCRC(src, NewPool(size))
			c.Expect(int64(n))
			if got := collect(t, c, size); !bytes.Equal(got, want) {
				t.Fatalf("reassembled %d bytes differ from the %d written", len(got), len(want))
			}
			peeks := 0
			for _, a := range src.asks {
				if a == 1 {
					peeks++
				}
			}
			// Only the chunk that reaches the declared end looks ahead
			// (a 1-byte stream's only read is 1 byte long as well).
			if limit := 1 + min(n, 1); peeks > limit {
				t.Fatalf("%d one-byte reads for %d bytes in %d-byte chunks (asked %v)", peeks, n, size, src.asks)
			}
		})
	}
	t.Run("longer", func(t *testing.T) {
		c := NewNoCRC(bytes.NewReader(make([]byte, 2*size+5)), NewPool(size))
		c.Expect(2 * size)
		for i := range 2 {
			ch, err := c.Next()
			if err != nil || ch.Final {
				t.Fatalf("chunk %d: final %v, err %v; the look-ahead at the declared end should see more", i, ch.Final, err)
			}
			ch.Data.Release()
		}
	})
	t.Run("shorter", func(t *testing.T) {
		c := NewNoCRC(bytes.NewReader(make([]byte, 2*size)), NewPool(size))
		c.Expect(3 * size)
		for i := 0; ; i++ {
			ch, err := c.Next()
			if err != nil {
				t.Fatal(err)
			}
			ch.Data.Release()
			if ch.Final {
				if i != 2 || ch.N != 0 || c.Total() != 2*size {
					t.Fatalf("final chunk %d of %d bytes, total %d; want an empty chunk 2 after 2000 bytes", i, ch.N, c.Total())
				}
				break
			}
		}
	})
}
