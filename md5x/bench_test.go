package md5x

import (
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMD5 hashes `streams` concurrent streams of 4 MiB each, written
// in pieces of `write` bytes (the pipeline feeds whole chunks: 256 KiB to
// 1 MiB; 32 KiB is md5-simd's internal block), with crypto/md5 or the
// multi-buffer server (simd: every stream; auto: from the third concurrent
// one). MB/s is wall-clock throughput of all streams
// together; MB/cpu-s divides the bytes by the CPU time the process spent
// (every core), which is what multi-buffer hashing saves.
func BenchmarkMD5(b *testing.B) {
	const per = 4 << 20
	src := data(1, per)
	impls := []string{Scalar}
	if kernel != "" {
		impls = append(impls, SIMD, Auto)
	}
	for _, streams := range []int{1, 2, 4, 8, 16} {
		for _, impl := range impls {
			for _, write := range []int{32 << 10, 256 << 10, 1 << 20} {
				name := "streams=" + strconv.Itoa(streams) + "/impl=" + impl + "/write=" + strconv.Itoa(write>>10) + "KiB"
				b.Run(name, func(b *testing.B) {
					p, err := New(impl)
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					b.SetBytes(int64(streams * per))
					b.ReportAllocs()
					c0 := cpuTime(b)
					var wg sync.WaitGroup
					for b.Loop() {
						for range streams {
							wg.Go(func() {
								h := p.New()
								for off := 0; off < per; off += write {
									h.Write(src[off:min(off+write, per)])
								}
								h.Sum(nil)
								h.Close()
							})
						}
						wg.Wait()
					}
					if cpu := (cpuTime(b) - c0).Seconds(); cpu > 0 {
						b.ReportMetric(float64(b.N)*float64(streams*per)/1e6/cpu, "MB/cpu-s")
					}
				})
			}
		}
	}
}
