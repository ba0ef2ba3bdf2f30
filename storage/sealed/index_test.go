package sealed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// memStore is an in-memory storage.Meta with versions and conditions that
// counts the bytes Get returns and the keys Put writes.
type memStore struct {
	mu        sync.Mutex
	v         storage.Version
	m         map[string]memVal
	readBytes atomic.Int64
	guidePuts atomic.Int64 // writes of guide blocks (stored key ends in guideSuffix)
}

type memVal struct {
	val []byte
	v   storage.Version
}

func newMemStore() *memStore { return &memStore{m: map[string]memVal{}} }

func (s *memStore) Get(_ context.Context, ns, key string) ([]byte, storage.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[ns+"\x00"+key]
	if !ok {
		return nil, 0, storage.ErrNotFound
	}
	s.readBytes.Add(int64(len(r.val)))
	return r.val, r.v, nil
}

func (s *memStore) Put(_ context.Context, ns, key string, val []byte, c storage.Cond) (storage.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[ns+"\x00"+key]
	if c.IfAbsent && ok || c.IfVersion != 0 && (!ok || r.v != c.IfVersion) {
		return 0, storage.ErrPrecondition
	}
	if strings.HasSuffix(key, guideSuffix) {
		s.guidePuts.Add(1)
	}
	s.v++
	s.m[ns+"\x00"+key] = memVal{val: append([]byte(nil), val...), v: s.v}
	return s.v, nil
}

func (s *memStore) Delete(_ context.Context, ns, key string, c storage.Cond) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[ns+"\x00"+key]
	if !ok {
		return storage.ErrNotFound
	}
	if c.IfVersion != 0 && r.v != c.IfVersion {
		return storage.ErrPrecondition
	}
	delete(s.m, ns+"\x00"+key)
	return nil
}

func (s *memStore) List(context.Context, string, string, string, int) ([]storage.Entry, error) {
	return nil, errors.New("memStore: List is not used under sealed")
}

func testIndexKey() [32]byte {
	var k [32]byte
	k[0] = 9
	return k
}

// longKey is key i of a namespace with S3-like long paths (~200 bytes).
func longKey(i int) string {
	return strings.Repeat("p", 180) + fmt.Sprintf("d%03d/k%08d", i/1000%1000, i)
}

// seed indexes keys [from, to) in ascending batches of 1,000 (as a busy
// batcher applies them) and writes a 64-byte record for each: the index
// is built by the code under test, only faster than one Put at a time.
func seed(t testing.TB, m *Meta, ns string, from, to int) {
	t.Helper()
	ctx := context.Background()
	ixns, hns := m.c.indexNS(ns), m.c.recordNS(ns)
	val := make([]byte, 64)
	for lo := from; lo < to; lo += 1000 {
		var ops []op
		for i := lo; i < min(lo+1000, to); i++ {
			ops = append(ops, op{key: longKey(i)})
			k := longKey(i)
			if _, err := m.inner.Put(ctx, hns, m.c.recordKey(ns, k), m.c.seal(flagInline, val, ad(0, ns, k, "")), storage.Cond{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.ix.apply(ctx, ns, ixns, ops); err != nil {
			t.Fatal(err)
		}
	}
}

// coldPageBytes returns the mean bytes read from the wrapped store by one
// 1,000-entry page listed through a fresh Meta (nothing cached) after
// each of a few keys spread over [0, n).
func coldPageBytes(t *testing.T, s *memStore, o Options, n int) int64 {
	t.Helper()
	const pages = 8
	var total int64
	for p := range pages {
		cold, err := New(s, o)
		if err != nil {
			t.Fatal(err)
		}
		i := (2*p + 1) * (n - 1000) / (2 * pages)
		before := s.readBytes.Load()
		es, err := cold.List(t.Context(), "ns", "", longKey(i), 1000)
		if err != nil || len(es) != 1000 || es[0].Key != longKey(i+1) {
			t.Fatalf("page after key %d: %d entries, %v", i, len(es), err)
		}
		total += s.readBytes.Load() - before
	}
	return total / pages
}

// A cold page (nothing cached) reads the root, one guide, the leaves it
// lists and its records: the same bytes at 200,000 long keys as at 2,000.
// A root listing every leaf (the index before guides) grew to its 1 MiB
// cap and a cold page read all of it.
func TestColdPageBytesStayFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 200,000 keys")
	}
	o := Options{Key: testIndexKey(), LeafBytes: 1} // smallest leaves: most blocks per key
	s := newMemStore()
	m, err := New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	have := 0
	for _, n := range []int{2000, 20000, 200000} {
		seed(t, m, "ns", have, n)
		have = n
		b := coldPageBytes(t, s, o, n)
		t.Logf("%d keys: a cold 1,000-entry page reads %d bytes", n, b)
		got = append(got, b)
	}
	if s.guidePuts.Load() == 0 {
		t.Fatal("no guide written: the test is not exercising the second level")
	}
	for i, b := range got[1:] {
		if float64(b) > 1.3*float64(got[0]) {
			t.Fatalf("cold page at size %d reads %d bytes, > 1.3 × the %d bytes at 2,000 keys", i+1, b, got[0])
		}
	}
}

// listKeys lists ns through m, pages of page entries.
func listKeys(t testing.TB, m storage.Meta, ns string, page int) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		es, err := m.List(context.Background(), ns, "", after, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out = append(out, e.Key)
		}
		if len(es) < page {
			return out
		}
		after = es[len(es)-1].Key
	}
}

// A namespace indexed before guides existed (a root listing leaves only,
// as written by the index before this change) lists correctly and keeps
// growing: once its root outgrows a guide, its leaf entries move down
// into guides. A guide is not stored under the id the root names it by,
// so an index without guides reading this root walks from the head leaf
// rather than failing.
func TestRootWithoutGuidesStillWorks(t *testing.T) {
	s := newMemStore()
	// A guide cap of half the root: every leaf stays listed in the root,
	// as the index before guides kept it.
	old, err := New(s, Options{Key: testIndexKey(), LeafBytes: 1, GuideBytes: storage.MaxValueLen})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, old, "ns", 0, 3000)
	if s.guidePuts.Load() != 0 {
		t.Fatal("guides written with a guide cap above the root's size")
	}
	ixns := old.c.indexNS("ns")
	rt, _ := old.ix.loadRoot(t.Context(), "ns", ixns, true)
	if len(rt.los) < 100 || rt.size <= 16<<10 {
		t.Fatalf("old-style root lists %d leaves in %d bytes, want ≥ 100 in > 16 KiB", len(rt.los), rt.size)
	}

	o := Options{Key: testIndexKey(), LeafBytes: 1, GuideBytes: 8 << 10}
	m, err := New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, 6000)
	for i := range 3000 {
		want = append(want, longKey(i))
	}
	if got := listKeys(t, m, "ns", 333); !slices.Equal(got, want) {
		t.Fatalf("old index lists %d keys, want %d in order", len(got), len(want))
	}
	seed(t, m, "ns", 3000, 6000)
	for i := 3000; i < 6000; i++ {
		want = append(want, longKey(i))
	}
	if s.guidePuts.Load() == 0 {
		t.Fatal("extending the old index wrote no guide")
	}
	rt, _ = m.ix.loadRoot(t.Context(), "ns", ixns, true)
	guides := 0
	for _, id := range rt.ids {
		if isGuide(id) {
			guides++
			if _, _, err := s.Get(t.Context(), ixns, id); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("guide %s readable under its id: %v", id, err)
			}
		}
	}
	if guides == 0 || rt.size > 8<<10 {
		t.Fatalf("root after growth: %d entries (%d guides), %d bytes: leaves not moved into guides", len(rt.los), guides, rt.size)
	}
	for _, g := range []storage.Meta{m, old} {
		if got := listKeys(t, g, "ns", 500); !slices.Equal(got, want) {
			t.Fatalf("extended index lists %d keys, want %d in order", len(got), len(want))
		}
	}
	cold, err := New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, cold, "ns", 1000); !slices.Equal(got, want) {
		t.Fatalf("cold listing: %d keys, want %d in order", len(got), len(want))
	}
}

// A missing or unreadable guide only costs a walk: seeks still find every
// key, and the walk repairs the index.
func TestLostGuideFallsBack(t *testing.T) {
	s := newMemStore()
	o := Options{Key: testIndexKey(), LeafBytes: 1, GuideBytes: 1}
	m, err := New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, m, "ns", 0, 3000)
	ixns := m.c.indexNS("ns")
	rt, _ := m.ix.loadRoot(t.Context(), "ns", ixns, true)
	lost := 0
	for i, id := range rt.ids {
		if !isGuide(id) || i%2 == 1 {
			continue
		}
		lost++
		if i%4 == 0 {
			if err := s.Delete(t.Context(), ixns, guideKey(id), storage.Cond{}); err != nil {
				t.Fatal(err)
			}
		} else if _, err := s.Put(t.Context(), ixns, guideKey(id), []byte("not a sealed block at all"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if lost < 2 {
		t.Fatalf("root names %d guides (%d lost), want more", len(rt.ids), lost)
	}
	for range 2 { // the second time through the repaired index
		cold, err := New(s, o)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3000; i += 37 {
			if ok, err := cold.ix.contains(t.Context(), "ns", longKey(i)); err != nil || !ok {
				t.Fatalf("key %d: %v %v", i, ok, err)
			}
		}
		if got := listKeys(t, cold, "ns", 700); len(got) != 3000 || !slices.IsSorted(got) {
			t.Fatalf("listed %d keys (sorted %v), want 3000", len(got), slices.IsSorted(got))
		}
	}
}

// A root capped so small that even one entry per guide outgrows it is
// thinned, guides and all (the last resort; at the default caps that takes
// tens of millions of keys): every key is still listed once, in order, and
// a seek walks from the guide left of a dropped one, a few dozen leaves
// here, not the chain from the head (~2,000 leaves).
func TestRootOfGuidesThinned(t *testing.T) {
	s := newMemStore()
	o := Options{Key: testIndexKey(), LeafBytes: 1, RootBytes: 6 << 10, GuideBytes: 1}
	m, err := New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	seed(t, m, "ns", 0, n)
	rt, _ := m.ix.loadRoot(t.Context(), "ns", m.c.indexNS("ns"), true)
	guides := 0
	for _, id := range rt.ids {
		if isGuide(id) {
			guides++
		}
	}
	if guides < 2 || rt.size > 6<<10 {
		t.Fatalf("root: %d entries, %d guides, %d bytes", len(rt.los), guides, rt.size)
	}
	if got := listKeys(t, m, "ns", 1000); len(got) != n || !slices.IsSorted(got) || len(slices.Compact(got)) != n {
		t.Fatalf("listed %d keys (sorted %v), want %d distinct", len(got), slices.IsSorted(got), n)
	}
	// Seeks through a warm index (twice: the first pass repairs what it
	// can; the thinning undoes some of it).
	var reads int64
	const seeks = 200
	for pass := range 2 {
		before := s.readBytes.Load()
		for i := range seeks {
			if ok, err := m.ix.contains(t.Context(), "ns", longKey(i*(n/seeks))); err != nil || !ok {
				t.Fatalf("key %d: %v %v", i*(n/seeks), ok, err)
			}
		}
		reads = s.readBytes.Load() - before
		t.Logf("pass %d: %d bytes read per seek", pass, reads/seeks)
	}
	// ~2.3 KB per leaf walked: the whole chain is ~4.6 MB.
	if reads/seeks > 64<<10 {
		t.Fatalf("%d bytes read per warm seek, want ≤ 64 KiB", reads/seeks)
	}
}
