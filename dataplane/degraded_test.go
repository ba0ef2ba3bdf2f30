package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/erasure"
)

// fixture is one stored object on a fresh fake backend.
type fixture struct {
	b    *memBackend
	e    *Engine
	k    *aead.Key
	data []byte
	l    Layout
	g    geometry
}

func newFixture(t *testing.T, size int) *fixture {
	t.Helper()
	f := &fixture{b: newMemBackend(6), k: newKey(t), data: randBytes(uint64(size)+1, size)}
	f.e = mustEngine(t, f.b, Options{ReadAhead: 2})
	f.l = put(t, f.e, f.k, f.data).Layout
	f.g = newGeometry(f.l.Size, f.l.ChunkSize, f.l.K, f.l.M)
	return f
}

func (f *fixture) shard(j int) []byte { return f.b.osd(f.l.OSDs[j]).file(ShardName(f.l.DataID, j)) }

func (f *fixture) setShard(j int, p []byte) {
	f.b.osd(f.l.OSDs[j]).setFile(ShardName(f.l.DataID, j), p)
}

func (f *fixture) dropShard(j int) {
	f.b.osd(f.l.OSDs[j]).Remove(context.Background(), ShardName(f.l.DataID, j))
}

// flipPiece flips one bit inside piece i of shard j (the CRC catches it).
func (f *fixture) flipPiece(j int, i uint64) {
	s := f.shard(j)
	s[f.g.frameOffset(i)+int64(f.g.piece(i)/2)] ^= 0x10
}

// frame returns the bytes of stripe i's frame in shard j.
func (f *fixture) frame(j int, i uint64) []byte {
	off := f.g.frameOffset(i)
	return f.shard(j)[off : off+int64(f.g.piece(i)+erasure.FrameOverhead)]
}

// TestAnyTwoLost removes, corrupts, or mixes any two of the six shards and
// expects the exact bytes back, for whole-object and range reads.
func TestAnyTwoLost(t *testing.T) {
	size := 3*testChunk + 7
	for a := range 6 {
		for b := a + 1; b < 6; b++ {
			for _, mode := range []string{"missing", "flipped", "mixed"} {
				t.Run(fmt.Sprintf("%d,%d/%s", a, b, mode), func(t *testing.T) {
					f := newFixture(t, size)
					switch mode {
					case "missing":
						f.dropShard(a)
						f.dropShard(b)
					case "flipped":
						for i := range f.g.count {
							f.flipPiece(a, i)
							f.flipPiece(b, i)
						}
					case "mixed":
						f.dropShard(a)
						f.flipPiece(b, 1)
						f.flipPiece(b, 3)
					}
					if got := get(t, f.e, f.l, f.k, 0, -1); !bytes.Equal(got, f.data) {
						t.Fatal("degraded GET returned wrong bytes")
					}
					off := int64(testChunk - 3)
					if got := get(t, f.e, f.l, f.k, off, 10); !bytes.Equal(got, f.data[off:off+10]) {
						t.Fatal("degraded range GET returned wrong bytes")
					}
				})
			}
		}
	}
}

// TestTruncatedShard treats a short shard (torn write, lost tail) as lost
// pieces for the stripes it no longer covers.
func TestTruncatedShard(t *testing.T) {
	f := newFixture(t, 3*testChunk+7)
	s := f.shard(1)
	f.setShard(1, s[:len(s)-10])
	f.setShard(4, f.shard(4)[:f.g.frameOffset(1)+3])
	if got := get(t, f.e, f.l, f.k, 0, -1); !bytes.Equal(got, f.data) {
		t.Fatal("GET with truncated shards returned wrong bytes")
	}
}

func TestThreeLost(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		f := newFixture(t, 3*testChunk+7)
		f.dropShard(0)
		f.dropShard(2)
		f.dropShard(5)
		var buf bytes.Buffer
		n, err := f.e.Get(context.Background(), f.l, f.k, 0, -1, &buf)
		if !errors.Is(err, ErrUnrecoverable) || n != 0 || buf.Len() != 0 {
			t.Fatalf("Get = %d bytes, %v; want 0, ErrUnrecoverable", n, err)
		}
	})
	t.Run("corrupt in one stripe", func(t *testing.T) {
		// Stripe 2 alone loses three pieces: the bytes before it are
		// delivered, then the error; never wrong bytes.
		f := newFixture(t, 3*testChunk+7)
		for _, j := range []int{1, 3, 4} {
			f.flipPiece(j, 2)
		}
		var buf bytes.Buffer
		n, err := f.e.Get(context.Background(), f.l, f.k, 0, -1, &buf)
		if !errors.Is(err, ErrUnrecoverable) {
			t.Fatalf("err = %v, want ErrUnrecoverable", err)
		}
		if n != int64(buf.Len()) || n > 2*testChunk || !bytes.Equal(buf.Bytes(), f.data[:n]) {
			t.Fatalf("wrote %d bytes before the error; must be a correct prefix ending before stripe 2", n)
		}
	})
	t.Run("layout drops", func(t *testing.T) {
		f := newFixture(t, 100)
		l := f.l
		l.OSDs = append([]string(nil), l.OSDs...)
		l.OSDs[0], l.OSDs[1], l.OSDs[2] = "", "", "gone"
		if _, err := f.e.Get(context.Background(), l, f.k, 0, -1, &bytes.Buffer{}); !errors.Is(err, ErrUnrecoverable) {
			t.Fatalf("err = %v, want ErrUnrecoverable", err)
		}
	})
}

// TestTamper moves, copies and alters stored chunks the way an attacker with
// write access to every OSD (and the skill to fix frame tags, which need no
// key) could. Each GET must fail (the tags or authentication) rather than
// return other bytes.
func TestTamper(t *testing.T) {
	size := 3*testChunk + 7
	swapStripes := func(f *fixture, a, b uint64) {
		for j := range 6 {
			fa, fb := f.frame(j, a), f.frame(j, b)
			tmp := bytes.Clone(fa)
			copy(fa, fb)
			copy(fb, tmp)
		}
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, f *fixture) Layout
		off, n int64
	}{
		{"flipped ciphertext, tags fixed", func(t *testing.T, f *fixture) Layout {
			for j := range 6 {
				fr := f.frame(j, 1)
				p := len(fr) - erasure.FrameOverhead
				fr[p/2] ^= 1
				erasure.PutTag(fr[p:], erasure.NewIdentity(f.l.DataID).Tag(fr[:p], j, 1))
			}
			return f.l
		}, 0, -1},
		{"reordered chunks", func(t *testing.T, f *fixture) Layout {
			swapStripes(f, 0, 1)
			return f.l
		}, 0, -1},
		{"duplicated chunk", func(t *testing.T, f *fixture) Layout {
			for j := range 6 {
				copy(f.frame(j, 2), f.frame(j, 1))
			}
			return f.l
		}, 2 * testChunk, 10},
		{"truncated at a chunk boundary", func(t *testing.T, f *fixture) Layout {
			l := f.l
			l.Size = 2 * testChunk // chunk 1 is not final: its seal says so
			return l
		}, 0, -1},
		{"extended", func(t *testing.T, f *fixture) Layout {
			// Chunk 3 (7 bytes) was final; claim it is full and add a 5th
			// chunk by padding every shard with a copy of stripe 2.
			l := f.l
			l.Size = 5 * testChunk
			for j := range 6 {
				sh := f.shard(j)
				pad := f.frame(j, 2)
				f.setShard(j, append(append(bytes.Clone(sh[:f.g.frameOffset(3)]), pad...), pad...))
			}
			return l
		}, 3 * testChunk, 1},
		{"spliced from another object", func(t *testing.T, f *fixture) Layout {
			other := put(t, f.e, f.k, randBytes(99, size)).Layout
			// The victim's names and OSDs, the other object's bytes.
			for j := range 6 {
				f.setShard(j, f.b.osd(other.OSDs[j]).file(ShardName(other.DataID, j)))
			}
			return f.l
		}, 0, -1},
		{"another part number", func(t *testing.T, f *fixture) Layout {
			l := f.l
			l.Part = 7
			return l
		}, 0, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, size)
			l := tc.tamper(t, f)
			var buf bytes.Buffer
			n, err := f.e.Get(context.Background(), l, f.k, tc.off, tc.n, &buf)
			if !errors.Is(err, aead.ErrOpen) && !errors.Is(err, ErrUnrecoverable) {
				t.Fatalf("err = %v, want aead.ErrOpen or ErrUnrecoverable", err)
			}
			if !bytes.Equal(buf.Bytes(), f.data[tc.off:tc.off+n]) {
				t.Fatalf("wrote %d bytes that are not the object's", n)
			}
		})
	}
}
