package aead

import (
	"strconv"
	"testing"
)

var benchSizes = []int{64 << 10, 256 << 10, 1 << 20, 4 << 20}

func sizeName(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}

func BenchmarkSeal(b *testing.B) {
	s := testStream(b, testKey(b, 1), 1, 0)
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			pt := make([]byte, n)
			dst := make([]byte, 0, n+Overhead)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			i := uint64(0)
			for b.Loop() {
				s.Seal(dst[:0], pt, i, false)
				i++
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	s := testStream(b, testKey(b, 1), 1, 0)
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			ct := s.Seal(nil, make([]byte, n), 0, false)
			dst := make([]byte, 0, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Open(dst[:0], ct, 0, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStreamDerive(b *testing.B) {
	k := testKey(b, 1)
	b.SetBytes(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Stream([16]byte{1}, 1); err != nil {
			b.Fatal(err)
		}
	}
}
