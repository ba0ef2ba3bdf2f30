package erasure

import (
	"strconv"
	"testing"
)

// chunkSizes are the plaintext chunk sizes the engine benchmarks use; the
// pieces are ceil((chunk+16)/4) bytes.
var chunkSizes = []int{256 << 10, 1 << 20, 4 << 20}

func chunkName(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}

func BenchmarkEncode4x2(b *testing.B) {
	c, _ := New(4, 2)
	for _, cs := range chunkSizes {
		b.Run(chunkName(cs), func(b *testing.B) {
			shards, _ := stripe(b, c, c.PieceSize(cs+16))
			b.SetBytes(int64(cs)) // per data byte
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Encode(shards); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReconstruct4x2Lost2(b *testing.B) {
	c, _ := New(4, 2)
	for _, cs := range chunkSizes {
		b.Run(chunkName(cs), func(b *testing.B) {
			shards, _ := stripe(b, c, c.PieceSize(cs+16))
			work := make([][]byte, len(shards))
			b.SetBytes(int64(cs))
			b.ReportAllocs()
			for b.Loop() {
				copy(work, shards)
				work[0], work[2] = work[0][:0], work[2][:0]
				if err := c.ReconstructData(work); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckFrame(b *testing.B) {
	c, _ := New(4, 2)
	frame := testID.AppendFrame(nil, make([]byte, c.PieceSize(1<<20+16)), 3, 1000)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := testID.CheckFrame(frame, 3, 1000); err != nil {
			b.Fatal(err)
		}
	}
}
