package bench

import (
	"context"
	"crypto/md5"
	"fmt"
	"hash"
	"io"
	"testing"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// objectSize is the object every engine benchmark op writes or reads.
const objectSize = 64 << 20

// engineFor opens a tmpfs backend and an engine over it.
func engineFor(b *testing.B, chunk, workers int) (*dataplane.Engine, *local.Backend) {
	be, cleanup, err := OpenTmpfs(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cleanup)
	e, err := dataplane.New(be, dataplane.Options{ChunkSize: chunk, Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	return e, be
}

// putOnce writes one object from src, optionally computing MD5.
func putOnce(b *testing.B, e *dataplane.Engine, src io.Reader, size int64, withMD5 bool) dataplane.PutResult {
	req := dataplane.PutRequest{Key: testKey(b), Body: io.LimitReader(src, size), Size: size}
	if withMD5 {
		req.Hashes = map[string]hash.Hash{"md5": md5.New()}
	}
	res, err := e.Put(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// benchPut writes a 64 MiB object per op (deleted again outside the timer).
func benchPut(b *testing.B, chunk, workers int, withMD5 bool) {
	e, _ := engineFor(b, chunk, workers)
	src := NewSource(1 << 20)
	b.SetBytes(objectSize)
	b.ReportAllocs()
	for b.Loop() {
		res := putOnce(b, e, src, objectSize, withMD5)
		b.StopTimer()
		if err := e.Delete(context.Background(), res.Layout); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportPerChunk(b, chunk)
}

// benchGet reads a stored 64 MiB object per op.
func benchGet(b *testing.B, chunk, workers int) {
	e, _ := engineFor(b, chunk, workers)
	res := putOnce(b, e, NewSource(1<<20), objectSize, false)
	k := testKey(b)
	b.SetBytes(objectSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Get(context.Background(), res.Layout, k, 0, -1, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	reportPerChunk(b, chunk)
}

// reportPerChunk adds the chunk count per op so allocs/op can be read per
// chunk.
func reportPerChunk(b *testing.B, chunk int) {
	b.ReportMetric(float64(objectSize/chunk), "chunks/op")
}

// BenchmarkPut runs the engine's Put over the chunk sizes, 1 and 2
// workers, with and without an MD5 ETag.
func BenchmarkPut(b *testing.B) {
	for _, n := range chunkSizes {
		for _, w := range []int{1, 2} {
			for _, withMD5 := range []bool{false, true} {
				name := fmt.Sprintf("chunk=%s/workers=%d/md5=%v", sizeName(n), w, withMD5)
				b.Run(name, func(b *testing.B) { benchPut(b, n, w, withMD5) })
			}
		}
	}
}

// BenchmarkPutDiscard is BenchmarkPut with OSDs that drop the bytes: the
// engine's own cost (chunking, sealing, coding, framing, fan-out) without
// the kernel's page-cache writes.
func BenchmarkPutDiscard(b *testing.B) {
	for _, n := range chunkSizes {
		for _, w := range []int{1, 2} {
			for _, withMD5 := range []bool{false, true} {
				name := fmt.Sprintf("chunk=%s/workers=%d/md5=%v", sizeName(n), w, withMD5)
				b.Run(name, func(b *testing.B) {
					e, err := dataplane.New(storagetest.NewDiscard(6), dataplane.Options{ChunkSize: n, Workers: w})
					if err != nil {
						b.Fatal(err)
					}
					src := NewSource(1 << 20)
					b.SetBytes(objectSize)
					b.ReportAllocs()
					for b.Loop() {
						putOnce(b, e, src, objectSize, withMD5)
					}
					reportPerChunk(b, n)
				})
			}
		}
	}
}

// BenchmarkGet runs the engine's Get of a whole object over the chunk sizes
// and 1 and 2 workers (Get uses ReadAhead fetchers; workers only shape the
// engine's options).
func BenchmarkGet(b *testing.B) {
	for _, n := range chunkSizes {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("chunk=%s/workers=%d", sizeName(n), w), func(b *testing.B) { benchGet(b, n, w) })
		}
	}
}
