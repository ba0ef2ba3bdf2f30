package sealed_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// scaleKey is key i: pad bytes of path, then the number, in byte order.
func scaleKey(i, pad int) string {
	return strings.Repeat("p", pad) + fmt.Sprintf("dir%03d/key%08d", i/10000%1000, i)
}

// BenchmarkIndexScale lists one 1,000-entry page from the middle of a
// sealed namespace of each size in $RUSTFS_BENCH_INDEX (e.g.
// "1000,100000,1000000"; unset: skipped) over an in-memory store, with
// 18-byte keys and, with $RUSTFS_BENCH_INDEX_PAD, longer ones: the index
// walk per page must not grow with the namespace. Values are 64 bytes
// (the index, not the records, is under test). Keys are inserted in
// order by 32 goroutines, as the object layer's seeder does.
func BenchmarkIndexScale(b *testing.B) {
	env := os.Getenv("RUSTFS_BENCH_INDEX")
	if env == "" {
		b.Skip("RUSTFS_BENCH_INDEX is not set (e.g. 1000,100000,1000000)")
	}
	pad, _ := strconv.Atoi(os.Getenv("RUSTFS_BENCH_INDEX_PAD"))
	val := make([]byte, 64)
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 2000 {
			b.Fatalf("RUSTFS_BENCH_INDEX: %q is not a size of at least 2000", f)
		}
		mem := sealed.NewMemStore()
		m, err := sealed.New(mem, sealed.Options{Key: testKeyBytes()})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		var next atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Value
		for range 32 {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
					if _, err := m.Put(ctx, "obj/scale", scaleKey(i, pad), val, storage.Cond{IfAbsent: true}); err != nil {
						failed.Store(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("keys=%d/keylen=%d", n, len(scaleKey(0, pad))), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				after := scaleKey((i*7919)%(n-1000), pad)
				es, err := m.List(ctx, "obj/scale", "", after, 1000)
				if err != nil || len(es) != 1000 {
					b.Fatalf("page %d: %d entries, %v", i, len(es), err)
				}
			}
		})
		// cache=cold: each page through a fresh sealed.Meta over the same
		// store, so no leaf or root is cached: what a page costs in a
		// bucket far larger than the leaf cache, where the warm figure
		// above only says how much of the namespace the cache still held.
		b.Run(fmt.Sprintf("keys=%d/keylen=%d/cache=cold", n, len(scaleKey(0, pad))), func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				b.StopTimer()
				cold, err := sealed.New(mem, sealed.Options{Key: testKeyBytes()})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				after := scaleKey((i*7919)%(n-1000), pad)
				es, err := cold.List(ctx, "obj/scale", "", after, 1000)
				if err != nil || len(es) != 1000 {
					b.Fatalf("cold page %d: %d entries, %v", i, len(es), err)
				}
			}
		})
	}
}

func testKeyBytes() [32]byte {
	var k [32]byte
	k[0] = 7
	return k
}
