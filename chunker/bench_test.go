package chunker

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"strconv"
	"testing"
)

func BenchmarkCRC32C(b *testing.B) {
	p := randBytes(1, DefaultChunkSize)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		CRC32C(p)
	}
}

func BenchmarkCombineCRC32C(b *testing.B) {
	b.SetBytes(DefaultChunkSize)
	b.ReportAllocs()
	crc := uint32(1)
	for b.Loop() {
		crc = CombineCRC32C(crc, 0x12345678, DefaultChunkSize)
	}
}

// repeatReader serves the same buffer forever without allocating.
type repeatReader struct{ p []byte }

func (r repeatReader) Read(b []byte) (int, error) { return copy(b, r.p), nil }

func BenchmarkChunkerNext(b *testing.B) {
	for _, size := range []int{256 << 10, 1 << 20, 4 << 20} {
		for _, noCRC := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/nocrc=%v", sizeName(size), noCRC), func(b *testing.B) {
				src := repeatReader{randBytes(2, 256<<10)}
				c := New(src, NewPool(size))
				if noCRC {
					c = NewNoCRC(src, NewPool(size))
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					ch, err := c.Next()
					if err != nil {
						b.Fatal(err)
					}
					ch.Data.Release()
				}
			})
		}
	}
}

func BenchmarkDigester(b *testing.B) {
	for _, tc := range []struct {
		name string
		mk   func() map[string]hash.Hash
	}{
		{"md5", func() map[string]hash.Hash { return map[string]hash.Hash{"md5": md5.New()} }},
		{"sha256", func() map[string]hash.Hash { return map[string]hash.Hash{"sha256": sha256.New()} }},
		{"md5+sha256", func() map[string]hash.Hash {
			return map[string]hash.Hash{"md5": md5.New(), "sha256": sha256.New()}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			const total = 16 << 20
			data := randBytes(3, total)
			pool := NewPool(DefaultChunkSize)
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				d := NewDigester(tc.mk())
				c := New(bytes.NewReader(data), pool)
				for {
					ch, err := c.Next()
					if err == io.EOF {
						break
					}
					d.Feed(ch.Data, ch.N)
					ch.Data.Release()
					if ch.Final {
						break
					}
				}
				d.Close()
			}
		})
	}
}

func sizeName(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}
