package dataplane

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// TestPoolsSurviveGC shows that a stream's chunk buffers and stripes are
// reused across collections: a sync.Pool alone drops what sat in it through
// two GCs, so every stream after them re-made its buffers (fresh, zeroed,
// page-faulted memory on every Put of a server whose heap is paced
// tightly). With the free lists the engine never makes more than it keeps.
func TestPoolsSurviveGC(t *testing.T) {
	e := mustEngine(t, storagetest.NewDiscard(6), Options{Workers: 2, InFlight: 3})
	k := newKey(t)
	data := randBytes(1, 16*testChunk)
	for range 8 {
		if _, err := e.Put(context.Background(), PutRequest{Key: k, Body: bytes.NewReader(data), Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		runtime.GC()
	}
	keep := int64(e.o.keep())
	if n := e.pool.free.Made(); n > keep {
		t.Fatalf("%d stripes made over 8 streams with GCs between them, keep is %d", n, keep)
	}
	if n := e.plain.Allocated(); n > keep {
		t.Fatalf("%d chunk buffers made over 8 streams with GCs between them, keep is %d", n, keep)
	}
}
