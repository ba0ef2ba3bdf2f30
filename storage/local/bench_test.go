package local

import (
	"fmt"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Benchmarks use FsyncNever: they measure this package's overhead, not the
// disk's sync latency.

func BenchmarkShardCommit1MiB(b *testing.B) {
	be := openTest(b, Options{Fsync: FsyncNever})
	o := be.OSDs()[0]
	data := make([]byte, 256<<10)
	b.SetBytes(4 * int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("%032x.0", i)
		w, err := o.Create(b.Context(), name)
		if err != nil {
			b.Fatal(err)
		}
		for range 4 {
			if _, err := w.Write(data); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := o.Remove(b.Context(), name); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMetaPut4KiB(b *testing.B) {
	be := openTest(b, Options{Fsync: FsyncNever})
	m := be.Meta()
	val := make([]byte, 4<<10)
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := m.Put(b.Context(), "obj/bench", fmt.Sprintf("key-%d", i%1000), val, storage.Cond{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMetaGet4KiB(b *testing.B) {
	be := openTest(b, Options{Fsync: FsyncNever})
	m := be.Meta()
	val := make([]byte, 4<<10)
	if _, err := m.Put(b.Context(), "obj/bench", "key", val, storage.Cond{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(val)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.Get(b.Context(), "obj/bench", "key"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList1000of5000 lists one 1000-entry page of a 5000-key
// namespace: the O(n) directory scan plus 1000 file reads.
func BenchmarkList1000of5000(b *testing.B) {
	be := openTest(b, Options{Fsync: FsyncNever})
	m := be.Meta()
	val := make([]byte, 512)
	for i := range 5000 {
		if _, err := m.Put(b.Context(), "obj/bench", fmt.Sprintf("dir/%05d", i), val, storage.Cond{}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(1000 * int64(len(val)))
	b.ReportAllocs()
	for b.Loop() {
		es, err := m.List(b.Context(), "obj/bench", "dir/", "dir/02000", 1000)
		if err != nil || len(es) != 1000 {
			b.Fatal(len(es), err)
		}
	}
}
