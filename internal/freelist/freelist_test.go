package freelist

import (
	"runtime"
	"testing"
)

// TestKeptSurviveGC: kept values come back last-in first-out after
// collections; values beyond the bound go to the sync.Pool.
func TestKeptSurviveGC(t *testing.T) {
	n := 0
	l := New(2, func() *int { n++; v := n; return &v })
	a, b, c := l.Get(), l.Get(), l.Get()
	if l.Made() != 3 {
		t.Fatalf("made %d, want 3", l.Made())
	}
	l.Put(a)
	l.Put(b)
	l.Put(c) // beyond the bound: to the sync.Pool
	runtime.GC()
	runtime.GC()
	if got := l.Get(); got != b {
		t.Errorf("first Get = %d, want the last kept value %d", *got, *b)
	}
	if got := l.Get(); got != a {
		t.Errorf("second Get = %d, want %d", *got, *a)
	}
	before := l.Made()
	l.Get() // c was dropped by the collections, or comes from the sync.Pool
	if l.Made() > before+1 {
		t.Errorf("made %d values for one Get", l.Made()-before)
	}
}

// TestNoKeep: with keep ≤ 0 the list is a plain sync.Pool.
func TestNoKeep(t *testing.T) {
	l := New(-1, func() []byte { return make([]byte, 8) })
	l.Put(l.Get())
	if cap(l.keep) != 0 {
		t.Errorf("kept list of %d", cap(l.keep))
	}
}

func BenchmarkGetPut(b *testing.B) {
	l := New(4, func() []byte { return make([]byte, 1<<20) })
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		l.Put(l.Get())
	}
}
