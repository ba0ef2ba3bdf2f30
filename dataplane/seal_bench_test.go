package dataplane

import (
	"testing"

	"github.com/tasmaniancloud/rustfs/chunker"
	"github.com/tasmaniancloud/rustfs/erasure"
)

// BenchmarkSealStripe is the worker stage alone: AES-GCM seal, Reed-Solomon
// 4+2 and the six frame tags of one 1 MiB chunk per op, on one goroutine.
// It rotates over InFlight-many stripes and plaintext buffers, as the
// pipeline does, so the working set is the pipeline's and not one stripe
// that stays in cache.
func BenchmarkSealStripe(b *testing.B) {
	const chunk, k, m, inflight = 1 << 20, 4, 2, 6
	key := newKey(b)
	st, err := key.Stream([16]byte{1}, 0)
	if err != nil {
		b.Fatal(err)
	}
	coder, err := erasure.New(k, m)
	if err != nil {
		b.Fatal(err)
	}
	r := &putRun{e: &Engine{}, stream: st, ident: erasure.NewIdentity([16]byte{1}), k: k, coder: coder}
	pool := newStripePool(newGeometry(0, chunk, k, m), inflight)
	plain := chunker.NewPool(chunk)
	var ss [inflight]*stripe
	for i := range ss {
		ss[i] = pool.get()
		ss[i].plain = plain.Get()
		copy(ss[i].plain.B, randBytes(uint64(i), chunk))
		ss[i].n = chunk
	}
	b.SetBytes(chunk)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s := ss[i%inflight]
		s.idx = uint64(i)
		if err := r.seal(s); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
