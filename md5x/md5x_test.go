package md5x

import (
	"bytes"
	"crypto/md5"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/cpu"
)

// kernel is this CPU's multi-buffer kernel ("" when it has none).
var kernel = cpu.MultiBufferMD5(cpu.Detect(), runtime.GOARCH)

// providers returns one Provider per implementation this CPU can run,
// closed (and checked to have no active hashers) when the test ends.
func providers(t *testing.T) map[string]*Provider {
	t.Helper()
	modes := []string{Scalar}
	if kernel != "" {
		modes = append(modes, SIMD)
	}
	out := make(map[string]*Provider)
	for _, m := range modes {
		p, err := New(m)
		if err != nil {
			t.Fatalf("New(%s): %v", m, err)
		}
		t.Cleanup(func() {
			if n := p.Active(); n != 0 {
				t.Errorf("%s: %d hashers still active at the end", m, n)
			}
			p.Close()
		})
		out[m] = p
	}
	return out
}

// data returns n deterministic pseudo-random bytes.
func data(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeSplit writes p to h in pieces whose sizes come from seed.
func writeSplit(h Hasher, p []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for len(p) > 0 {
		n := 1 + r.IntN(min(len(p), 300<<10))
		if r.IntN(4) == 0 {
			n = min(len(p), 1+r.IntN(130)) // small, unaligned writes too
		}
		h.Write(p[:n])
		p = p[n:]
	}
}

var lengths = []int{0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 4096, 32<<10 - 1, 32 << 10, 32<<10 + 1,
	256 << 10, 1<<20 - 7, 1 << 20, 3<<20 + 17}

func TestDigestsMatchCryptoMD5(t *testing.T) {
	for name, p := range providers(t) {
		t.Run(name, func(t *testing.T) {
			for i, n := range lengths {
				b := data(uint64(i), n)
				want := md5.Sum(b)
				h := p.New()
				h.Write(b)
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Errorf("len %d whole write: %x, want %x", n, got, want)
				}
				h.Close()

				h = p.New()
				writeSplit(h, b, uint64(n))
				if got := h.Sum([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want[:]...)) {
					t.Errorf("len %d split writes: %x, want prefix+%x", n, got, want)
				}
				if h.Size() != md5.Size || h.BlockSize() != md5.BlockSize {
					t.Errorf("Size/BlockSize = %d/%d", h.Size(), h.BlockSize())
				}
				h.Close()
			}
		})
	}
}

func TestConcurrentStreams(t *testing.T) {
	for name, p := range providers(t) {
		t.Run(name, func(t *testing.T) {
			// More streams than the 16 AVX-512 lanes, of mixed lengths.
			const streams = 40
			var wg sync.WaitGroup
			errs := make([]string, streams)
			for s := range streams {
				wg.Go(func() {
					n := lengths[s%len(lengths)] + s*1031
					b := data(uint64(1000+s), n)
					want := md5.Sum(b)
					h := p.New()
					defer h.Close()
					writeSplit(h, b, uint64(s))
					if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
						errs[s] = "stream digest differs"
					}
				})
			}
			wg.Wait()
			for s, e := range errs {
				if e != "" {
					t.Errorf("stream %d: %s", s, e)
				}
			}
			if n := p.Active(); n != 0 {
				t.Fatalf("Active = %d after every stream closed", n)
			}
		})
	}
}

func TestResetReuse(t *testing.T) {
	for name, p := range providers(t) {
		t.Run(name, func(t *testing.T) {
			h := p.New()
			defer h.Close()
			h.Write(data(7, 100<<10)) // partial state that Reset must drop
			for i, n := range []int{0, 65, 1 << 20} {
				h.Reset()
				b := data(uint64(20+i), n)
				h.Write(b)
				want := md5.Sum(b)
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Errorf("after Reset, len %d: %x, want %x", n, got, want)
				}
				// Sum does not change the state: writing on continues it.
				h.Write(b)
				want = md5.Sum(append(bytes.Clone(b), b...))
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Errorf("after Sum and more writes, len %d: %x, want %x", 2*n, got, want)
				}
			}
		})
	}
}

// TestAbortedStreamsLeaveNoState closes hashers mid-stream (no Sum, as when
// an upload fails) and checks that nothing stays active and that recycled
// hashers start clean.
func TestAbortedStreamsLeaveNoState(t *testing.T) {
	for name, p := range providers(t) {
		t.Run(name, func(t *testing.T) {
			for round := range 3 {
				var hs []Hasher
				for i := range 20 {
					h := p.New()
					h.Write(data(uint64(round*100+i), 70<<10+i))
					hs = append(hs, h)
				}
				if n := p.Active(); n != 20 {
					t.Fatalf("Active = %d with 20 open hashers", n)
				}
				for _, h := range hs {
					h.Close()
					h.Close() // idempotent
				}
				if n := p.Active(); n != 0 {
					t.Fatalf("Active = %d after aborting every hasher", n)
				}
				b := data(uint64(round), 1<<20+3)
				want := md5.Sum(b)
				h := p.New()
				h.Write(b)
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Fatalf("recycled hasher after abort: %x, want %x", got, want)
				}
				h.Close()
			}
		})
	}
}

// TestServerRotation forces the retire-and-replace path: with one idle slot
// and a low dead limit, most closes are real closes and the server is
// replaced; hashers of the retired server finish correctly.
func TestServerRotation(t *testing.T) {
	if kernel == "" {
		t.Skip("no AVX2: no multi-buffer server to rotate")
	}
	p, err := New(SIMD)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.maxIdle, p.maxDead = 1, 3
	first := p.cur
	old := p.New() // stays open across the rotation
	old.Write(data(1, 1000))
	for range 10 {
		var hs []Hasher
		for range 4 {
			hs = append(hs, p.New())
		}
		for _, h := range hs {
			h.Write([]byte("x"))
			h.Close()
		}
	}
	if p.cur == first {
		t.Fatal("server not replaced after more than maxDead closes")
	}
	if !first.retired || first.live != 1 {
		t.Fatalf("first server retired=%v live=%d, want retired with the one open hasher", first.retired, first.live)
	}
	old.Write(data(2, 5000))
	want := md5.Sum(append(data(1, 1000), data(2, 5000)...))
	if got := old.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("hasher of the retired server: %x, want %x", got, want)
	}
	old.Close()
	if first.live != 0 || len(first.idle) != 0 {
		t.Fatalf("retired server keeps live=%d idle=%d", first.live, len(first.idle))
	}
	if n := p.Active(); n != 0 {
		t.Fatalf("Active = %d", n)
	}
}

func TestCloseWithOpenHasher(t *testing.T) {
	for name, p := range providers(t) {
		t.Run(name, func(t *testing.T) {
			h := p.New()
			h.Write(data(3, 40<<10))
			p.Close()
			h.Write(data(4, 40<<10))
			want := md5.Sum(append(data(3, 40<<10), data(4, 40<<10)...))
			if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("hasher open across Close: %x, want %x", got, want)
			}
			h.Close()
			after := p.New() // crypto/md5 after Close
			after.Write([]byte("abc"))
			want = md5.Sum([]byte("abc"))
			if got := after.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("hasher after Close: %x, want %x", got, want)
			}
			after.Close()
		})
	}
}

func TestModes(t *testing.T) {
	for _, tc := range []struct {
		mode, kernel, want, err string
	}{
		{"", "avx512x16", "avx512x16", ""},
		{Auto, "avx2x8", "avx2x8", ""},
		{Auto, "", ImplScalar, ""},
		{SIMD, "avx512x16", "avx512x16", ""},
		{SIMD, "", "", "needs AVX2"},
		{Scalar, "avx512x16", ImplScalar, ""},
		{"fast", "avx512x16", "", "unknown MD5 mode"},
	} {
		if tc.kernel != "" && kernel == "" {
			continue // cannot start a multi-buffer server on this CPU
		}
		p, err := newProvider(tc.mode, tc.kernel)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("mode %q kernel %q: err %v, want %q", tc.mode, tc.kernel, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("mode %q kernel %q: %v", tc.mode, tc.kernel, err)
			continue
		}
		if p.Impl() != tc.want {
			t.Errorf("mode %q kernel %q: Impl %q, want %q", tc.mode, tc.kernel, p.Impl(), tc.want)
		}
		p.Close()
	}
}

// TestAutoSharesOnlyWithCompany checks Auto's rule: a stream that starts
// with fewer than shareFrom others gets crypto/md5, later concurrent ones a
// multi-buffer lane, and so does the next batch of streams while the peak
// is recent; a lone stream after the peak is forgotten is crypto/md5
// again. Digests are right either way.
func TestAutoSharesOnlyWithCompany(t *testing.T) {
	if kernel == "" {
		t.Skip("no AVX2: Auto is always crypto/md5")
	}
	p, err := New(Auto)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	clock := time.Unix(1000, 0)
	p.now = func() time.Time { return clock }
	var hs []Hasher
	for i := range shareFrom + 3 {
		h := p.New()
		if multi, want := h.(*hasher).l != nil, i >= shareFrom; multi != want {
			t.Fatalf("hasher %d with %d others active: multi-buffer=%v, want %v", i, i, multi, want)
		}
		hs = append(hs, h)
	}
	b := data(9, 200<<10)
	want := md5.Sum(b)
	for i, h := range hs {
		h.Write(b)
		if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Errorf("hasher %d: %x, want %x", i, got, want)
		}
		h.Close()
	}
	clock = clock.Add(peakWindow + time.Millisecond)
	if h := p.New(); h.(*hasher).l == nil {
		t.Fatal("the first stream of the next batch, within the window, got crypto/md5")
	} else {
		h.Close()
	}
	clock = clock.Add(2 * peakWindow)
	if h := p.New(); h.(*hasher).l != nil {
		t.Fatal("a lone stream after the peak was forgotten got a multi-buffer hasher")
	} else {
		h.Close()
	}
}

// TestSequentialStreamsReuseOneHasher checks the work-around for md5-simd
// keeping every closed client: one stream after another reuses the same
// pooled hasher, so the server never gains a dead client and is never
// replaced. (Measured here: 3000 closed clients made a 4-stream hash 8x
// slower, since the server walks them all each round.)
func TestSequentialStreamsReuseOneHasher(t *testing.T) {
	if kernel == "" {
		t.Skip("no AVX2: no multi-buffer server")
	}
	p, err := New(SIMD)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	first := p.cur
	b := data(5, 1000)
	want := md5.Sum(b)
	for i := range 2000 {
		h := p.New()
		h.Write(b)
		if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("stream %d: %x, want %x", i, got, want)
		}
		h.Close()
	}
	if p.cur != first || first.dead != 0 || len(first.idle) != 1 {
		t.Fatalf("server replaced=%v dead=%d idle=%d, want the same server, 0 dead, 1 idle",
			p.cur != first, first.dead, len(first.idle))
	}
}
