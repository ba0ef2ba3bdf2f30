package object

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// heapLive is the live heap after two full collections (the second
// empties the sync.Pools' victim caches, so pooled buffers of an idle
// pipeline do not count), the least of three such readings: the runtime's
// own transient allocations move a single reading by up to ~100 KB.
func heapLive() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	least := int64(-1)
	for range 3 {
		runtime.GC()
		runtime.GC()
		metrics.Read(s)
		if v := int64(s[0].Value.Uint64()); least < 0 || v < least {
			least = v
		}
	}
	return least
}

// heapLiveBelow is heapLive once it is at most limit, or the least of 50
// readings 20 ms apart: background work that ends on its own (index
// batchers, data retirement after a Complete) may hold some memory for a
// while on a loaded machine; memory kept for good stays above limit.
func heapLiveBelow(limit int64) int64 {
	least := heapLive()
	for i := 0; i < 50 && least > limit; i++ {
		time.Sleep(20 * time.Millisecond)
		least = min(least, heapLive())
	}
	return least
}

// heapAllocated is the cumulative count of bytes allocated on the heap.
func heapAllocated() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// uploadParts uploads parts from..to (inclusive) of 1 KiB each.
func uploadParts(t *testing.T, s *Store, uploadID, bucket, key string, from, to int) []CompletePart {
	t.Helper()
	ctx := context.Background()
	var parts []CompletePart
	data := randBytes(uint64(from), 1024)
	for n := from; n <= to; n++ {
		p, err := s.UploadPart(ctx, uploadID, n, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil {
			t.Fatalf("part %d: %v", n, err)
		}
		parts = append(parts, CompletePart{PartNumber: n, ETag: p.ETag})
	}
	return parts
}

// TestMultipartHeapFlatWithParts: what the object layer keeps in memory
// for an open upload does not grow with its number of parts (the parts'
// state lives in Meta, not in the process), a completed upload leaves
// nothing behind, and Complete's allocations grow linearly with the part
// count (no part list re-read or re-sorted per part). The stack is the
// server's: sealed metadata over the local backend.
func TestMultipartHeapFlatWithParts(t *testing.T) {
	e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key"), sealed: true}
	e.s = e.open()
	smallParts(e.s)
	e.bucket("heap")
	ctx := context.Background()
	const n = 8

	complete := func(key, id string, parts []CompletePart) int64 {
		t.Helper()
		before := heapAllocated()
		if _, err := e.s.CompleteMultipartUpload(ctx, "heap", key, id, parts, CompleteOptions{}); err != nil {
			t.Fatalf("complete %s: %v", key, err)
		}
		return heapAllocated() - before
	}
	create := func(key string) string {
		t.Helper()
		up, err := e.s.CreateMultipartUpload(ctx, "heap", key, ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		return up.UploadID
	}
	// Warm up every pool, cache and one-time table with a whole upload of
	// 8n parts, then measure Complete on an upload of n.
	warm := create("warm")
	complete("warm", warm, uploadParts(t, e.s, warm, "heap", "warm", 1, 8*n))
	small := create("small")
	completeN := complete("small", small, uploadParts(t, e.s, small, "heap", "small", 1, n))
	idle := heapLive()

	id := create("big")
	parts := uploadParts(t, e.s, id, "heap", "big", 1, n)
	atN := heapLive()
	parts = append(parts, uploadParts(t, e.s, id, "heap", "big", n+1, 8*n)...)
	growBound, keptBound := int64(7*n)<<10, int64(128<<10)
	at8N := heapLiveBelow(atN + growBound)
	complete8N := complete("big", id, parts)
	after := heapLiveBelow(idle + keptBound)
	t.Logf("live heap: idle %d, %d parts open %d, %d parts open %d, completed %d; Complete allocated %d (%d parts), %d (%d parts)",
		idle, n, atN, 8*n, at8N, after, completeN, n, complete8N, 8*n)

	// Measured: ~330 bytes per extra part (the sealed index's decoded
	// leaves of the upload's part namespace, a cache bounded by
	// maxCachedLeaves); this fails for ~1 KiB or more kept per part (a
	// part's data chunk is 64 KiB).
	if grow, bound := at8N-atN, growBound; grow > bound {
		t.Errorf("live heap grew %d bytes for %d more parts of an open upload, want at most %d (1 KiB a part)", grow, 7*n, bound)
	}
	// Measured: ~20 KB (the sealed index's bounded root and leaf caches,
	// runtime internals); this fails for ~2 KiB or more kept per part.
	if kept, bound := after-idle, keptBound; kept > bound {
		t.Errorf("completing a %d-part upload left %d more bytes live, want at most %d", 8*n, kept, bound)
	}
	// Measured: 2.3 MB for 64 parts, 0.4–0.65 MB for 8: linear, where
	// re-reading the part list per part would be quadratic (64×).
	if complete8N > 16*completeN {
		t.Errorf("Complete allocated %d bytes for %d parts and %d for %d: more than linear", complete8N, 8*n, completeN, n)
	}
}
