package chunker

import (
	"runtime"
	"testing"
)

func TestPoolRefcount(t *testing.T) {
	p := NewPool(32)
	b := p.Get()
	if len(b.B) != 32 || p.Size() != 32 {
		t.Fatalf("buffer length %d, pool size %d; want 32", len(b.B), p.Size())
	}
	b.Retain(2)
	b.Release()
	b.Release()
	if got := b.refs.Load(); got != 1 {
		t.Fatalf("refs = %d after retain 2 / release 2, want 1", got)
	}
	b.Release()
	if got := b.refs.Load(); got != 0 {
		t.Fatalf("refs = %d, want 0", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("over-release did not panic")
		}
	}()
	b.Release()
}

func TestPoolMinimumSize(t *testing.T) {
	if got := NewPool(0).Get(); len(got.B) != 1 {
		t.Fatalf("size-0 pool gave %d bytes, want 1", len(got.B))
	}
}

func TestPoolReuseDoesNotAllocate(t *testing.T) {
	p := NewPool(1 << 16)
	p.Get().Release()
	allocs := testing.AllocsPerRun(100, func() {
		b := p.Get()
		b.Retain(1)
		b.Release()
		b.Release()
	})
	// sync.Pool may drop items on GC; allow a stray allocation, not one per run.
	if allocs > 0.1 {
		t.Fatalf("Get/Release allocates %.2f times per run", allocs)
	}
}

// TestPoolKeepSurvivesGC: buffers returned to a pool with a free list are
// handed out again after garbage collection instead of being re-made.
func TestPoolKeepSurvivesGC(t *testing.T) {
	p := NewPoolKeep(64, 3)
	bufs := []*Buf{p.Get(), p.Get(), p.Get()}
	for _, b := range bufs {
		b.Release()
	}
	runtime.GC()
	runtime.GC()
	for i := range bufs {
		bufs[i] = p.Get()
	}
	if n := p.Allocated(); n != 3 {
		t.Fatalf("%d buffers made, want the 3 kept across GC", n)
	}
}
