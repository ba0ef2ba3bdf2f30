package gateway

import (
	"runtime/metrics"
	"sync"
	"time"
)

// memMetrics sum to runtime.MemStats' HeapInuse + StackInuse: heap spans
// in use (objects plus their free slots) and goroutine stacks.
var memMetrics = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/stacks:bytes",
}

// MemSampler records the peak of HeapInuse+StackInuse of this process,
// reading runtime/metrics (no stop-the-world, unlike ReadMemStats) on a
// ticker. In-process benchmarks include the client's buffers in it.
type MemSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

// StartMemSampler starts sampling every interval.
func StartMemSampler(interval time.Duration) *MemSampler {
	m := &MemSampler{stop: make(chan struct{})}
	samples := make([]metrics.Sample, len(memMetrics))
	for i, name := range memMetrics {
		samples[i].Name = name
	}
	m.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			metrics.Read(samples)
			var sum uint64
			for _, s := range samples {
				if s.Value.Kind() == metrics.KindUint64 {
					sum += s.Value.Uint64()
				}
			}
			m.peak = max(m.peak, sum)
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	})
	return m
}

// Stop ends sampling and returns the peak in bytes.
func (m *MemSampler) Stop() uint64 {
	close(m.stop)
	m.wg.Wait()
	return m.peak
}
