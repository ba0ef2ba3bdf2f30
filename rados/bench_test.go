//go:build ceph

package rados

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// benchShard is the shard size of the throughput benchmarks: 4 MiB, the
// object size `rados bench` uses by default, so the figures compare.
const benchShard = 4 << 20

// benchFrame is the write size the engine issues (a 1 MiB chunk's shard
// piece for k=4, plus its CRC).
const benchFrame = 262148

// benchParallelism × GOMAXPROCS goroutines run at once; with 2 CPUs that is
// 16, the default concurrency of `rados bench`. Everything written lands in
// the test's private RADOS namespace and is purged afterwards (memstore
// keeps data in OSD RAM).
const benchParallelism = 8

// putShard writes data as shard name on o in engine-sized frames.
func putShard(ctx context.Context, o storage.OSD, name string, data []byte) error {
	w, err := o.Create(ctx, name)
	if err != nil {
		return err
	}
	for off := 0; off < len(data); off += benchFrame {
		if _, err := w.Write(data[off:min(off+benchFrame, len(data))]); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Commit()
}

// BenchmarkShardPut measures shard writes: "rack0" uses only the slots of
// pool rustfs.rack0 (compare with `rados bench -p rustfs.rack0 10 write`),
// "all" spreads shards over all six slots as the engine does.
func BenchmarkShardPut(b *testing.B) {
	for _, mode := range []string{"rack0", "all"} {
		b.Run(mode, func(b *testing.B) {
			be := openTest(b, testOptions(b))
			osds := be.OSDs()
			if mode == "rack0" {
				osds = []storage.OSD{osds[0], osds[3]}
			}
			data := fill(7, benchShard)
			prefix := uniq("bench")
			var seq atomic.Uint64
			b.SetBytes(benchShard)
			b.ReportAllocs()
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					o := osds[int(i)%len(osds)]
					name := fmt.Sprintf("%s.%d", prefix, i)
					if err := putShard(context.Background(), o, name, data); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkShardGet measures whole-shard reads of 4 MiB shards (compare
// with `rados bench -p rustfs.rack0 10 seq`), 1 MiB per ReadAt.
func BenchmarkShardGet(b *testing.B) {
	for _, mode := range []string{"rack0", "all"} {
		b.Run(mode, func(b *testing.B) {
			be := openTest(b, testOptions(b))
			osds := be.OSDs()
			if mode == "rack0" {
				osds = []storage.OSD{osds[0], osds[3]}
			}
			data := fill(8, benchShard)
			prefix := uniq("bench")
			const shards = 32
			type ref struct {
				o    storage.OSD
				name string
			}
			refs := make([]ref, shards)
			for i := range refs {
				refs[i] = ref{osds[i%len(osds)], fmt.Sprintf("%s.%d", prefix, i)}
				if err := putShard(context.Background(), refs[i].o, refs[i].name, data); err != nil {
					b.Fatal(err)
				}
			}
			var seq atomic.Uint64
			b.SetBytes(benchShard)
			b.ReportAllocs()
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 1<<20)
				for pb.Next() {
					r := refs[int(seq.Add(1))%shards]
					sr, err := r.o.Open(context.Background(), r.name)
					if err != nil {
						b.Error(err)
						return
					}
					for off := int64(0); off < sr.Size(); off += int64(len(buf)) {
						if _, err := sr.ReadAt(buf, off); err != nil {
							b.Error(err)
							return
						}
					}
					sr.Close()
				}
			})
		})
	}
}

// BenchmarkMetaPut measures unconditional 512-byte metadata writes
// (one guarded omap write op each); bytes/s counts the values.
func BenchmarkMetaPut(b *testing.B) {
	be := openTest(b, testOptions(b))
	m := be.Meta()
	ns := uniq("bench-meta")
	val := fill(9, 512)
	var seq atomic.Uint64
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprintf("obj/%08d", seq.Add(1)%4096)
			if _, err := m.Put(context.Background(), ns, k, val, storage.Cond{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMetaGet measures 512-byte metadata reads.
func BenchmarkMetaGet(b *testing.B) {
	be := openTest(b, testOptions(b))
	m := be.Meta()
	ns := uniq("bench-meta")
	val := fill(10, 512)
	const keys = 256
	for i := range keys {
		if _, err := m.Put(context.Background(), ns, fmt.Sprintf("obj/%08d", i), val, storage.Cond{}); err != nil {
			b.Fatal(err)
		}
	}
	var seq atomic.Uint64
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprintf("obj/%08d", seq.Add(1)%keys)
			if _, _, err := m.Get(context.Background(), ns, k); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkShardStream is one 64 MiB PUT's shard traffic: six 16 MiB
// shards, one per slot, written at once in engine-sized frames, by
// AsyncWrites (0 = synchronous) and WriteSize.
func BenchmarkShardStream(b *testing.B) {
	const shard = 16 << 20
	for _, c := range []struct{ depth, write int }{{0, 4 << 20}, {1, 4 << 20}, {2, 4 << 20}, {4, 4 << 20}, {0, 8 << 20}, {2, 8 << 20}} {
		b.Run(fmt.Sprintf("async=%d/write=%dM", c.depth, c.write>>20), func(b *testing.B) {
			o := testOptions(b)
			o.AsyncWrites, o.WriteSize = c.depth, c.write
			be := openTest(b, o)
			osds := be.OSDs()
			data := fill(7, shard)
			prefix := uniq("stream")
			b.SetBytes(int64(shard * len(osds)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				errs := make(chan error, len(osds))
				for j, osd := range osds {
					go func() { errs <- putShard(context.Background(), osd, fmt.Sprintf("%s.%d.%d", prefix, i, j), data) }()
				}
				for range osds {
					if err := <-errs; err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				for j, osd := range osds {
					if err := osd.Remove(context.Background(), fmt.Sprintf("%s.%d.%d", prefix, i, j)); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
		})
	}
}
