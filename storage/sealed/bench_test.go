package sealed_test

import (
	"fmt"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// benchStores runs fn over the local backend's Meta: plain (with its key
// index, a direct user's default), sealed as the server runs it (the local
// index off), and sealed over the indexed local backend.
func benchStores(b *testing.B, fn func(b *testing.B, m storage.Meta)) {
	b.Run("plain", func(b *testing.B) {
		raw := openLocalIndex(b, b.TempDir(), true)
		defer raw.Close()
		fn(b, raw.Meta())
	})
	b.Run("sealed", func(b *testing.B) {
		s := openSealed(b, b.TempDir(), sealed.Options{})
		defer s.Close()
		fn(b, s.Meta())
	})
	b.Run("sealed-localindex", func(b *testing.B) {
		raw := openLocalIndex(b, b.TempDir(), true)
		s, err := sealed.Open(b.Context(), raw, testKey(1), sealed.Options{})
		if err != nil {
			raw.Close()
			b.Fatal(err)
		}
		defer s.Close()
		fn(b, s.Meta())
	})
}

// manifestLike is a value of a typical small object's manifest size.
var manifestLike = make([]byte, 1200)

// BenchmarkPutNew is a PUT of a new object's manifest (IfAbsent).
func BenchmarkPutNew(b *testing.B) {
	benchStores(b, func(b *testing.B, m storage.Meta) {
		b.SetBytes(int64(len(manifestLike)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := m.Put(b.Context(), "obj/bench", fmt.Sprintf("photos/2026/%08d.jpg", i), manifestLike, storage.Cond{IfAbsent: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPutOverwrite is a PUT over an existing object (IfVersion).
func BenchmarkPutOverwrite(b *testing.B) {
	benchStores(b, func(b *testing.B, m storage.Meta) {
		v, err := m.Put(b.Context(), "obj/bench", "hot", manifestLike, storage.Cond{})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(manifestLike)))
		b.ReportAllocs()
		for b.Loop() {
			if v, err = m.Put(b.Context(), "obj/bench", "hot", manifestLike, storage.Cond{IfVersion: v}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGet is a GET's manifest read.
func BenchmarkGet(b *testing.B) {
	benchStores(b, func(b *testing.B, m storage.Meta) {
		if _, err := m.Put(b.Context(), "obj/bench", "k", manifestLike, storage.Cond{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(manifestLike)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := m.Get(b.Context(), "obj/bench", "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListPage lists pages of 1000 entries from a 5000-key namespace.
func BenchmarkListPage(b *testing.B) {
	benchStores(b, func(b *testing.B, m storage.Meta) {
		const n, page = 5000, 1000
		for i := range n {
			if _, err := m.Put(b.Context(), "obj/list", fmt.Sprintf("k%06d", i), manifestLike, storage.Cond{IfAbsent: true}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(page * len(manifestLike)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			es, err := m.List(b.Context(), "obj/list", "", fmt.Sprintf("k%06d", (i*page)%(n-page)), page)
			if err != nil || len(es) != page {
				b.Fatal(len(es), err)
			}
		}
	})
}
