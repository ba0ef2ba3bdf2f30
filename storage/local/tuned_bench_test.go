//go:build linux

package local

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Write-path benchmarks on a real filesystem with fsync on. The directory
// is $RUSTFS_BENCH_DIR, else the test temp dir (use a disk, not tmpfs).
// Each op writes objects the way the engine does: six shards, each a run
// of 262208-byte pieces plus a 4-byte trailer, committed in parallel.
// cpu-s/GB is the process's user+system CPU per GB of object data (the
// kernel's write-back threads are not included).

var tunedModes = []struct{ name, writes, commit string }{
	{"buffered-each", ShardWritesBuffered, CommitEach},
	{"direct-each", ShardWritesDirect, CommitEach},
	{"buffered-group", ShardWritesBuffered, CommitGroup},
	{"direct-group", ShardWritesDirect, CommitGroup},
}

func benchBackend(b *testing.B, writes, commit string) *Backend {
	dir := os.Getenv("RUSTFS_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		d, err := os.MkdirTemp(dir, "bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	return openTest(b, Options{Dir: dir, ShardWrites: writes, Commit: commit})
}

// machineBusy is the whole machine's non-idle CPU time from /proc/stat
// (it includes the kernel's write-back threads, and other users' work).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	var user, nice, sys, idle, iowait, irq, softirq, steal uint64
	fmt.Sscanf(string(b), "cpu %d %d %d %d %d %d %d %d", &user, &nice, &sys, &idle, &iowait, &irq, &softirq, &steal)
	return time.Duration(user+nice+sys+irq+softirq) * 10 * time.Millisecond
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// putObject writes one object of pieces frames per shard and commits it.
func putObject(b *testing.B, be *Backend, id uint64, pieces int, piece []byte) {
	var wg sync.WaitGroup
	trailer := []byte{1, 2, 3, 4}
	var failed atomic.Value
	for j, o := range be.OSDs() {
		wg.Go(func() {
			name := fmt.Sprintf("%032x.%d", id, j)
			w, err := o.Create(b.Context(), name)
			if err != nil {
				failed.Store(err)
				return
			}
			for range pieces {
				if _, err := w.Write(piece); err != nil {
					failed.Store(err)
					return
				}
				if _, err := w.Write(trailer); err != nil {
					failed.Store(err)
					return
				}
			}
			if err := w.Commit(); err != nil {
				failed.Store(err)
			}
			o.Remove(b.Context(), name)
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkTunedPut(b *testing.B) {
	piece := make([]byte, 262208)
	for i := range piece {
		piece[i] = byte(i * 7)
	}
	for _, c := range []struct {
		name           string
		pieces, stream int
	}{{"64MiB/c1", 64 / 4 * 4, 1}, {"1MiB/c8", 1, 8}} {
		for _, m := range tunedModes {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				be := benchBackend(b, m.writes, m.commit)
				obj := int64(c.pieces) * 4 * 262144 // object bytes (pieces are per data shard)
				b.SetBytes(obj * int64(c.stream))
				b.ReportAllocs()
				var next atomic.Uint64
				cpu0, m0, t0 := cpuTime(), machineBusy(), time.Now()
				for b.Loop() {
					var wg sync.WaitGroup
					for range c.stream {
						wg.Go(func() { putObject(b, be, next.Add(1), c.pieces, piece) })
					}
					wg.Wait()
				}
				gb := float64(obj*int64(c.stream)*int64(b.N)) / 1e9
				b.ReportMetric((cpuTime()-cpu0).Seconds()/gb, "cpu-s/GB")
				b.ReportMetric((machineBusy()-m0).Seconds()/gb, "machine-cpu-s/GB")
				b.ReportMetric(float64(c.stream*b.N)/time.Since(t0).Seconds(), "obj/s")
			})
		}
	}
}
