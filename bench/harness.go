package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/storage/local"
)

// Source is an endless reader of pseudo-random bytes that repeats one block
// and never allocates: a stand-in for a client's request body.
type Source struct {
	block []byte
	off   int
}

// NewSource returns a Source repeating a deterministic block of n bytes.
func NewSource(n int) *Source {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return &Source{block: b}
}

// Read fills p from the repeating block.
func (s *Source) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], s.block[s.off:])
		n += c
		s.off = (s.off + c) % len(s.block)
	}
	return n, nil
}

// OpenTmpfs opens the local backend (default 6 OSDs in 3 racks, no fsync)
// in a fresh directory on /dev/shm, or under fallback when /dev/shm is
// absent. The returned cleanup closes it and removes the directory.
func OpenTmpfs(fallback string) (*local.Backend, func(), error) {
	parent := "/dev/shm"
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		parent = fallback
	}
	dir, err := os.MkdirTemp(parent, "rustfs-bench-*")
	if err != nil {
		return nil, nil, err
	}
	b, err := local.Open(local.Options{Dir: dir, Fsync: local.FsyncNever})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return b, func() { b.Close(); os.RemoveAll(dir) }, nil
}

// HeapSampler records the peak of live heap object bytes while it runs,
// sampling runtime/metrics (no stop-the-world) every interval.
type HeapSampler struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	peak   uint64
}

// heapMetric is the live-heap metric HeapSampler reads.
const heapMetric = "/memory/classes/heap/objects:bytes"

// StartHeapSampler starts sampling.
func StartHeapSampler(interval time.Duration) *HeapSampler {
	ctx, cancel := context.WithCancel(context.Background())
	h := &HeapSampler{cancel: cancel}
	h.wg.Go(func() {
		s := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return h
}

// Stop ends sampling and returns the peak live heap in bytes.
func (h *HeapSampler) Stop() uint64 {
	h.cancel()
	h.wg.Wait()
	return h.peak
}

// WriteShards is the storage ceiling of a Put: it writes the shard files
// of one object the way the engine's writers would — 6 new files in dir, one
// goroutine each, frames of piece bytes of the given size, 1.5 × size bytes
// in all for 4+2 — and removes them again. It returns the time spent
// writing (creation and removal excluded).
func WriteShards(dir string, objectSize int64, piece int) (time.Duration, error) {
	const shards = 6
	frame := make([]byte, piece+4)
	files := make([]*os.File, shards)
	for j := range files {
		f, err := os.CreateTemp(dir, "shard-*")
		if err != nil {
			return 0, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		files[j] = f
	}
	frames := int((objectSize + int64(piece*4) - 1) / int64(piece*4))
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, shards)
	for j, f := range files {
		wg.Go(func() {
			for range frames {
				if _, err := f.Write(frame); err != nil {
					errs[j] = err
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return d, err
		}
	}
	return d, nil
}
