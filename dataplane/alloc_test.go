//go:build !race

// The race detector makes sync.Pool drop items at random, so pool reuse and
// allocation counts are only meaningful without it.

package dataplane

import (
	"bytes"
	"context"
	"crypto/md5"
	"hash"
	"io"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// TestPutMemoryBounded shows that the number of buffers a PUT ever creates
// depends on InFlight and the digest depth, not on the object size.
func TestPutMemoryBounded(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // keep sync.Pool contents
	const inflight = 3
	e := mustEngine(t, storagetest.NewDiscard(6), Options{Workers: 2, InFlight: inflight})
	k := newKey(t)
	data := randBytes(1, 16*testChunk)
	for range 20 { // 320 chunks in all
		_, err := e.Put(context.Background(), PutRequest{Key: k, Body: bytes.NewReader(data), Size: -1,
			Hashes: map[string]hash.Hash{"md5": md5.New()}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// sync.Pool keeps one private item per P that other Ps cannot take, so
	// a buffer freed on one P may be re-made on another: at most GOMAXPROCS
	// extra, still independent of the stream length.
	procs := int64(runtime.GOMAXPROCS(0))
	if n, bound := e.pool.free.Made(), inflight+procs; n > bound {
		t.Fatalf("%d stripes allocated, bound is InFlight+GOMAXPROCS = %d", n, bound)
	}
	// Plaintext: up to InFlight chunks between reader and workers, plus the
	// digester's queue (depth = InFlight) and the chunk it is hashing.
	if n, bound := e.plain.Allocated(), 2*inflight+1+procs; n > bound {
		t.Fatalf("%d plaintext buffers allocated, bound %d", n, bound)
	}
}

// TestSteadyStateAllocs measures allocations per chunk as the slope between
// a short and a long stream, so per-request setup does not count.
func TestSteadyStateAllocs(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	k := newKey(t)
	short, long := randBytes(1, 8*testChunk), randBytes(2, 72*testChunk)

	pe := mustEngine(t, storagetest.NewDiscard(6), Options{Workers: 2})
	putAllocs := func(data []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			if _, err := pe.Put(context.Background(), PutRequest{Key: k, Body: bytes.NewReader(data),
				Size: int64(len(data)), Hashes: map[string]hash.Hash{"md5": md5.New()}}); err != nil {
				t.Fatal(err)
			}
		})
	}
	putAllocs(long) // warm the pools
	ps, pl := putAllocs(short), putAllocs(long)
	// klauspost/reedsolomon's GFNI encoder allocates one 896-byte table per
	// Encode call; everything else must be reused.
	if slope := (pl - ps) / 64; slope > 1.1 {
		t.Fatalf("Put allocates %.2f times per chunk (%.0f for 8 chunks, %.0f for 72)", slope, ps, pl)
	}

	b := newMemBackend(6)
	ge := mustEngine(t, b, Options{Workers: 2})
	ls, ll := put(t, ge, k, short).Layout, put(t, ge, k, long).Layout
	getAllocs := func(l Layout) float64 {
		return testing.AllocsPerRun(5, func() {
			if _, err := ge.Get(context.Background(), l, k, 0, -1, io.Discard); err != nil {
				t.Fatal(err)
			}
		})
	}
	getAllocs(ll)
	gs, gl := getAllocs(ls), getAllocs(ll)
	if slope := (gl - gs) / 64; slope > 0.1 {
		t.Fatalf("Get allocates %.2f times per chunk (%.0f for 8 chunks, %.0f for 72)", slope, gs, gl)
	}
	t.Logf("allocs per request: Put %.0f (8 chunks) / %.0f (72 chunks); Get %.0f / %.0f", ps, pl, gs, gl)
}
