//go:build linux

package local

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
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

// writeFrames writes pieces frames (piece, then trailer) to w.
func writeFrames(w storage.ShardWriter, pieces int, piece, trailer []byte) error {
	for range pieces {
		if _, err := w.Write(piece); err != nil {
			return err
		}
		if _, err := w.Write(trailer); err != nil {
			return err
		}
	}
	return nil
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
			if err := writeFrames(w, pieces, piece, trailer); err != nil {
				failed.Store(err)
				return
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

// putPhased writes one object like putObject, but commits only once every
// shard is written (as the engine does: the commit phase starts after the
// drain) and returns the commit phase's wall time: from the first Commit
// call to the last Commit's return.
func putPhased(b *testing.B, be *Backend, ctx context.Context, id uint64, pieces int, piece []byte) time.Duration {
	return putPaced(b, be, ctx, id, pieces, piece, 0)
}

// BenchmarkCommitOrder compares the shard commit orders of the default
// write path (direct writes, per-shard fsyncs): "usual" is fsync(file),
// rename, fsync(dir) one after the other (what a repair in place gets);
// "fresh" is what a PUT's fresh names get (storage.FreshShard: rename,
// then fsync(file) and fsync(dir) at once). The variants take turns
// object round by object round on one backend, so a busy machine's drift
// falls on all of them. commit-ms is the median commit phase of one object
// (its six shards committed in parallel once all are written), the figure
// the change is about; ms/obj the median whole object.
func BenchmarkCommitOrder(b *testing.B) {
	piece := make([]byte, 262208)
	for i := range piece {
		piece[i] = byte(i * 7)
	}
	variants := []struct {
		name  string
		fresh bool
	}{{"usual", false}, {"fresh", true}}
	for _, c := range []struct {
		name           string
		pieces, stream int
	}{{"1MiB/c8", 1, 8}, {"16MiB/c4", 16, 4}, {"64MiB/c1", 64, 1}} {
		b.Run(c.name, func(b *testing.B) {
			be := benchBackend(b, ShardWritesDirect, CommitEach)
			obj := int64(c.pieces) * 4 * 262144
			b.SetBytes(obj * int64(c.stream))
			commits := make([][]time.Duration, len(variants))
			walls := make([][]time.Duration, len(variants))
			var next atomic.Uint64
			round := 0
			for b.Loop() {
				v := round % len(variants)
				round++
				m := variants[v]
				ctx := storage.WithShardSize(b.Context(), int64(c.pieces)*(262208+4))
				if m.fresh {
					ctx = storage.WithFreshShard(ctx)
				}
				var mu sync.Mutex
				var wg sync.WaitGroup
				for range c.stream {
					wg.Go(func() {
						t0 := time.Now()
						d := putPhased(b, be, ctx, next.Add(1), c.pieces, piece)
						w := time.Since(t0)
						mu.Lock()
						commits[v] = append(commits[v], d)
						walls[v] = append(walls[v], w)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			for v, m := range variants {
				if len(commits[v]) > 0 {
					b.ReportMetric(float64(median(commits[v]))/1e6, m.name+"-commit-ms")
					b.ReportMetric(float64(median(walls[v]))/1e6, m.name+"-ms/obj")
				}
			}
		})
	}
}

// median returns the middle of ds (sorted in place).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// BenchmarkEarlyFlush compares early device flushes (earlyFlush) at
// several marks, on the default write path (direct writes, fresh names,
// per-shard fsyncs), with the shard pieces arriving at the pace of the
// engine's pipeline (one stripe, 4 × 262208-byte pieces and trailers, per
// 1 MiB / pace of object data; 0 = as fast as the writes go). "off" never
// flushes before the commit (main's behaviour). The variants take turns
// object by object on one backend, so the machine's drift falls on all.
// ms/obj is the median whole object (create to last commit), commit-ms the
// median commit phase.
//
//	go test -c -o local.test ./storage/local/ && cd storage/local
//	RUSTFS_BENCH_DIR=/var/tmp ../../local.test -test.run '^$' -test.bench EarlyFlush -test.benchtime 60x
func BenchmarkEarlyFlush(b *testing.B) {
	piece := make([]byte, 262208)
	for i := range piece {
		piece[i] = byte(i * 7)
	}
	variants := []struct {
		name  string
		every int64
	}{{"off", 1 << 62}, {"16MiB", 16 << 20}, {"32MiB", 32 << 20}}
	for _, c := range []struct {
		name   string
		pieces int
		pace   float64 // object MB/s the pieces arrive at; 0: unpaced
	}{{"64MiB/paced500", 64, 500}, {"64MiB/unpaced", 64, 0}} {
		b.Run(c.name, func(b *testing.B) {
			be := benchBackend(b, ShardWritesDirect, CommitEach)
			if be.osds[0].early == nil {
				b.Skip("no early flushes on this platform or filesystem")
			}
			b.SetBytes(int64(c.pieces) * 4 * 262144)
			commits := make([][]time.Duration, len(variants))
			walls := make([][]time.Duration, len(variants))
			var id uint64
			round := 0
			for b.Loop() {
				v := round % len(variants)
				round++
				for _, o := range be.osds {
					o.early.every = variants[v].every
					o.early.pending.Store(0)
				}
				id++
				ctx := storage.WithFreshShard(storage.WithShardSize(b.Context(), int64(c.pieces)*(262208+4)))
				t0 := time.Now()
				d := putPaced(b, be, ctx, id, c.pieces, piece, c.pace)
				walls[v] = append(walls[v], time.Since(t0))
				commits[v] = append(commits[v], d)
			}
			for v, m := range variants {
				if len(commits[v]) > 0 {
					b.ReportMetric(float64(median(commits[v]))/1e6, m.name+"-commit-ms")
					b.ReportMetric(float64(median(walls[v]))/1e6, m.name+"-ms/obj")
				}
			}
		})
	}
}

// putPaced is putPhased with each shard's piece i written no earlier than
// i stripes' worth of object data at pace MB/s after the start (pace 0:
// as fast as the writers go).
func putPaced(b *testing.B, be *Backend, ctx context.Context, id uint64, pieces int, piece []byte, pace float64) time.Duration {
	osds := be.OSDs()
	ws := make([]storage.ShardWriter, len(osds))
	trailer := []byte{1, 2, 3, 4}
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for j, o := range osds {
		wg.Go(func() {
			w, err := o.Create(ctx, fmt.Sprintf("%032x.%d", id, j))
			if err != nil {
				failed.Store(err)
				return
			}
			ws[j] = w
			for i := range pieces {
				if pace > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(i+1) * 4 * 262144 / pace * 1e3))))
				}
				if err := writeFrames(w, 1, piece, trailer); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for _, w := range ws {
		wg.Go(func() {
			if err := w.Commit(); err != nil {
				failed.Store(err)
			}
		})
	}
	wg.Wait()
	d := time.Since(t0)
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	for j, o := range osds {
		o.Remove(ctx, fmt.Sprintf("%032x.%d", id, j))
	}
	return d
}
