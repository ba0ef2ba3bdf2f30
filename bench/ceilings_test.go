package bench

import (
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"strconv"
	"testing"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/chunker"
	"github.com/tasmaniancloud/rustfs/cpu"
	"github.com/tasmaniancloud/rustfs/erasure"
)

// chunkSizes are the chunk sizes every benchmark runs at.
var chunkSizes = []int{256 << 10, 1 << 20, 4 << 20}

func sizeName(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}

// testKey is a fixed data key.
func testKey(tb testing.TB) *aead.Key {
	var secret [aead.KeySize]byte
	for i := range secret {
		secret[i] = byte(i)
	}
	k, err := aead.NewKey(secret[:], sha256.Sum256([]byte("bench")))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func testStream(tb testing.TB) *aead.Stream {
	s, err := testKey(tb).Stream([16]byte{1}, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Ceiling kernels, one chunk per op.
func benchCRC32C(b *testing.B, n int) {
	p := NewSource(n).block
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		chunker.CRC32C(p)
	}
}

func benchSeal(b *testing.B, n int) {
	s := testStream(b)
	pt := NewSource(n).block
	dst := make([]byte, 0, n+aead.Overhead)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		s.Seal(dst[:0], pt, i, false)
		i++
	}
}

func benchOpen(b *testing.B, n int) {
	s := testStream(b)
	ct := s.Seal(nil, NewSource(n).block, 0, false)
	dst := make([]byte, 0, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(dst[:0], ct, 0, false); err != nil {
			b.Fatal(err)
		}
	}
}

// stripeShards lays out a 4+2 stripe for an n-byte chunk like the engine.
func stripeShards(n int) (*erasure.Coder, [][]byte) {
	c, _ := erasure.New(4, 2)
	p := c.PieceSize(n + aead.Overhead)
	buf := make([]byte, 6*p)
	copy(buf, NewSource(n).block)
	shards := make([][]byte, 6)
	for j := range shards {
		shards[j] = buf[j*p : (j+1)*p : (j+1)*p]
	}
	return c, shards
}

func benchRSEncode(b *testing.B, n int) {
	c, shards := stripeShards(n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Encode(shards); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRSReconstruct(b *testing.B, n int) {
	c, shards := stripeShards(n)
	if err := c.Encode(shards); err != nil {
		b.Fatal(err)
	}
	work := make([][]byte, len(shards))
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, shards)
		work[1], work[3] = work[1][:0], work[3][:0]
		if err := c.ReconstructData(work); err != nil {
			b.Fatal(err)
		}
	}
}

func benchHash(b *testing.B, n int, h hash.Hash) {
	p := NewSource(n).block
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		h.Write(p)
	}
}

func benchChunker(b *testing.B, n int) {
	c := chunker.New(NewSource(1<<20), chunker.NewPool(n))
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		ch, err := c.Next()
		if err != nil {
			b.Fatal(err)
		}
		ch.Data.Release()
	}
}

// ceilings lists the kernels in the order they are reported.
var ceilings = []struct {
	name string
	run  func(*testing.B, int)
}{
	{"CRC32C", benchCRC32C},
	{"AESGCMSeal", benchSeal},
	{"AESGCMOpen", benchOpen},
	{"RSEncode4x2", benchRSEncode},
	{"RSReconstruct4x2Lost2", benchRSReconstruct},
	{"MD5", func(b *testing.B, n int) { benchHash(b, n, md5.New()) }},
	{"SHA256", func(b *testing.B, n int) { benchHash(b, n, sha256.New()) }},
	{"Chunker", benchChunker},
}

// BenchmarkCeiling measures each kernel on one goroutine, one chunk per op.
func BenchmarkCeiling(b *testing.B) {
	b.Logf("kernels: %s", cpu.Paths())
	for _, k := range ceilings {
		for _, n := range chunkSizes {
			b.Run(k.name+"/chunk="+sizeName(n), func(b *testing.B) { k.run(b, n) })
		}
	}
}
