package object

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// sortedMeta is an in-memory, ordered storage.Meta for listing benchmarks:
// it isolates the object layer's cost per page from the backend's (whose
// own List is measured by storage/local BenchmarkListPage). Seed with add,
// then call sort once.
type sortedMeta struct {
	ns map[string][]storage.Entry
}

func newSortedMeta() *sortedMeta { return &sortedMeta{ns: map[string][]storage.Entry{}} }

func (m *sortedMeta) add(ns, key string, val []byte) {
	m.ns[ns] = append(m.ns[ns], storage.Entry{Key: key, Value: val, Version: 1})
}

func (m *sortedMeta) sort() {
	for _, es := range m.ns {
		slices.SortFunc(es, func(a, b storage.Entry) int { return strings.Compare(a.Key, b.Key) })
	}
}

func (m *sortedMeta) find(ns, key string) (int, bool) {
	es := m.ns[ns]
	i := sort.Search(len(es), func(i int) bool { return es[i].Key >= key })
	return i, i < len(es) && es[i].Key == key
}

func (m *sortedMeta) Get(_ context.Context, ns, key string) ([]byte, storage.Version, error) {
	if i, ok := m.find(ns, key); ok {
		e := m.ns[ns][i]
		return e.Value, e.Version, nil
	}
	return nil, 0, storage.ErrNotFound
}

func (m *sortedMeta) Put(context.Context, string, string, []byte, storage.Cond) (storage.Version, error) {
	return 0, fmt.Errorf("sortedMeta is read-only")
}

func (m *sortedMeta) Delete(context.Context, string, string, storage.Cond) error {
	return fmt.Errorf("sortedMeta is read-only")
}

func (m *sortedMeta) List(_ context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	es := m.ns[ns]
	start := max(after, prefix)
	i := sort.Search(len(es), func(i int) bool { return es[i].Key >= start })
	if i < len(es) && es[i].Key == after {
		i++
	}
	var out []storage.Entry
	for ; i < len(es) && len(out) < limit && strings.HasPrefix(es[i].Key, prefix); i++ {
		out = append(out, es[i])
	}
	return out, nil
}

// versionedBench builds a Store whose Meta holds a versioned bucket of n
// keys, two versions each (the newer one current), from one real
// manifest: listing parses but does not verify manifests.
func versionedBench(tb testing.TB, n int) (*Store, *sortedMeta) {
	tb.Helper()
	e := newEnv(tb)
	ctx := context.Background()
	if err := e.s.CreateBucket(ctx, "vbench", "alice", "us-east-1"); err != nil {
		tb.Fatal(err)
	}
	if err := e.s.PutBucketVersioning(ctx, "vbench", VersioningEnabled); err != nil {
		tb.Fatal(err)
	}
	put(tb, e.s, "vbench", "seed", []byte("x"))
	bk, _, err := e.s.meta.Get(ctx, nsBuckets, "vbench")
	if err != nil {
		tb.Fatal(err)
	}
	raw, _, err := e.s.meta.Get(ctx, nsObjects("vbench"), "seed")
	if err != nil {
		tb.Fatal(err)
	}
	m := newSortedMeta()
	m.add(nsBuckets, "vbench", bk)
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("dir%03d/key%08d", i%100, i)
		m.add(nsObjects("vbench"), key, raw)
		for v := 0; v < 2; v++ {
			id, err := newVersionID(int64(1_000_000 + 10*i + v))
			if err != nil {
				tb.Fatal(err)
			}
			m.add(nsVersions("vbench"), versionKey(key, id), raw)
		}
	}
	m.sort()
	e.s.meta = m
	return e.s, m
}

// TestListObjectVersionsReadsOnePage: one page costs a bounded number of
// Meta entries whatever the bucket's size, with and without a delimiter.
func TestListObjectVersionsReadsOnePage(t *testing.T) {
	s, _ := versionedBench(t, 5000)
	ctx := context.Background()
	for _, in := range []VersionListInput{
		{Bucket: "vbench", MaxKeys: 100, KeyMarker: "dir050/key00002550"},
		{Bucket: "vbench", MaxKeys: 100, Delimiter: "/", Prefix: "dir0"},
		{Bucket: "vbench", MaxKeys: 100, Prefix: "dir00", KeyMarker: "dir003/key00001003"},
		// A full page ends exactly at the end of a cursor page (1,000
		// ver/ entries): its look-ahead must read one entry, not a page.
		{Bucket: "vbench", MaxKeys: 1000, KeyMarker: "dir010/key00000010"},
	} {
		cm := &countingMeta{Meta: s.meta}
		s.meta = cm
		res, err := s.ListObjectVersions(ctx, in)
		s.meta = cm.Meta
		if err != nil {
			t.Fatal(err)
		}
		want := in.MaxKeys // with the delimiter: dir000/ … dir099/, all common prefixes
		if got := len(res.Versions) + len(res.CommonPrefixes); got != want {
			t.Fatalf("%+v: %d entries, truncated=%v", in, got, res.IsTruncated)
		}
		// Both cursors read the page and one look-ahead entry each; the
		// look-ahead must not fetch a second full page.
		bound := int64(2*want + 4)
		if in.Delimiter != "" {
			// Each common prefix restarts both cursors with a small page.
			bound = int64(2 * (want + 1) * (seekPage + 1))
		}
		if n := cm.entries.Load(); n > bound {
			t.Fatalf("%+v: one page read %d Meta entries of a 15,000-entry bucket", in, n)
		}
	}
}

// BenchmarkListObjectVersionsPage lists one 1000-entry page (max-keys
// 1000) from the middle of versioned buckets of 1,000 and 100,000 keys
// (two versions each): the time per page must not grow with the bucket.
func BenchmarkListObjectVersionsPage(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			s, _ := versionedBench(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := (i * 7919) % max(1, n-600)
				in := VersionListInput{Bucket: "vbench", MaxKeys: 1000, KeyMarker: fmt.Sprintf("dir%03d/key%08d", k%100, k)}
				if n == 1000 {
					in.KeyMarker = ""
				}
				res, err := s.ListObjectVersions(ctx, in)
				if err != nil || len(res.Versions) == 0 {
					b.Fatalf("page: %d versions, %v", len(res.Versions), err)
				}
			}
		})
	}
}
