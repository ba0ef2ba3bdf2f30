package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// BenchmarkDiskPut runs the engine (1 MiB chunks, 2 workers, MD5 on) on the
// local backend on a real filesystem with fsync on, in each shard write and
// commit mode of storage/local: the place where those modes matter (the
// tmpfs benchmarks above have fsync off). The directory is
// $RUSTFS_BENCH_DIR, else the test temp dir; use a disk, not tmpfs.
// cpu-s/GB is this process's user+system CPU per GB of object data.
func BenchmarkDiskPut(b *testing.B) {
	for _, c := range []struct {
		name    string
		size    int64
		streams int
	}{{"64MiB/c1", 64 << 20, 1}, {"1MiB/c8", 1 << 20, 8}} {
		for _, m := range []struct{ name, writes, commit string }{
			{"buffered-each", local.ShardWritesBuffered, local.CommitEach},
			{"buffered-group", local.ShardWritesBuffered, local.CommitGroup},
			{"direct-each", local.ShardWritesDirect, local.CommitEach}, // the server's default
			{"direct-group", local.ShardWritesDirect, local.CommitGroup},
		} {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				parent := os.Getenv("RUSTFS_BENCH_DIR")
				if parent == "" {
					parent = b.TempDir()
				}
				dir, err := os.MkdirTemp(parent, "disk-")
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { os.RemoveAll(dir) })
				be, err := local.Open(local.Options{Dir: dir, Fsync: local.FsyncAlways, ShardWrites: m.writes, Commit: m.commit})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { be.Close() })
				e, err := dataplane.New(be, dataplane.Options{ChunkSize: 1 << 20, Workers: 2})
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(c.size * int64(c.streams))
				b.ReportAllocs()
				cpu0, t0 := processCPU(), time.Now()
				for b.Loop() {
					var wg sync.WaitGroup
					layouts := make([]dataplane.Layout, c.streams)
					for s := range c.streams {
						wg.Go(func() { layouts[s] = putOnce(b, e, NewSource(1<<20), c.size, true).Layout })
					}
					wg.Wait()
					for _, l := range layouts {
						if err := e.Delete(context.Background(), l); err != nil {
							b.Fatal(err)
						}
					}
				}
				gb := float64(c.size*int64(c.streams)*int64(b.N)) / 1e9
				b.ReportMetric((processCPU()-cpu0).Seconds()/gb, "cpu-s/GB")
				b.ReportMetric(float64(c.streams*b.N)/time.Since(t0).Seconds(), "obj/s")
			})
		}
	}
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDiskMetaPut writes 4 KiB metadata values (the size of a small
// object's sealed manifest) from 8 writers at once, each to a new key,
// into the local backend's replicated metadata store on a real filesystem
// with fsync on, as the server configures it (no per-replica key index),
// in each commit mode: every value is written to 6 replicas, and under
// group commit the replicas and the writers share the filesystem's syncs
// instead of fsyncing each copy and its directory. The directory is
// $RUSTFS_BENCH_DIR, else the test temp dir; use a disk, not tmpfs.
// cpu-s/kop is this process's user+system CPU per thousand values.
func BenchmarkDiskMetaPut(b *testing.B) {
	const writers = 8
	val := make([]byte, 4<<10)
	for _, commit := range []string{local.CommitEach, local.CommitGroup} {
		b.Run("4KiB/c8/"+commit, func(b *testing.B) {
			parent := os.Getenv("RUSTFS_BENCH_DIR")
			if parent == "" {
				parent = b.TempDir()
			}
			dir, err := os.MkdirTemp(parent, "meta-")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(dir) })
			be, err := local.Open(local.Options{Dir: dir, Fsync: local.FsyncAlways, Commit: commit, NoIndex: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { be.Close() })
			m := be.Meta()
			b.SetBytes(int64(len(val)) * writers)
			b.ReportAllocs()
			cpu0, t0 := processCPU(), time.Now()
			for i := 0; b.Loop(); i++ {
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						key := fmt.Sprintf("obj/%d-%d", i, w)
						if _, err := m.Put(context.Background(), "bench", key, val, storage.Cond{}); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			kops := float64(writers*b.N) / 1e3
			b.ReportMetric((processCPU()-cpu0).Seconds()/kops, "cpu-s/kop")
			b.ReportMetric(float64(writers*b.N)/time.Since(t0).Seconds(), "puts/s")
		})
	}
}
