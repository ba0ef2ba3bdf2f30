package bench

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// BenchmarkPutMemory writes a 64 MiB and a 1 GiB object with default
// options (1 MiB chunks) and MD5, and reports the peak live heap during the
// Put: it should not depend on the object size. B/op shows the total bytes
// allocated per Put (setup plus the small per-chunk Reed-Solomon table).
func BenchmarkPutMemory(b *testing.B) {
	for _, size := range []int64{64 << 20, 1 << 30, 4 << 30} {
		b.Run("size="+sizeName(int(size)), func(b *testing.B) {
			e, _ := engineFor(b, 1<<20, 0)
			src := NewSource(1 << 20)
			var peak uint64
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				hs := StartHeapSampler(time.Millisecond)
				b.StartTimer()
				res := putOnce(b, e, src, size, true)
				b.StopTimer()
				peak = max(peak, hs.Stop())
				if err := e.Delete(context.Background(), res.Layout); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
