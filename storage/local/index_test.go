package local

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// indexKeys returns replica o's index entries of namespace ns.
func indexKeys(t testing.TB, o *OSD, ns string) []string {
	t.Helper()
	keys, err := o.idx.all(escapeName(ns))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// dropCopy removes replica o's record and index entry of (ns, key), as if
// the write had never reached it.
func dropCopy(t testing.TB, o *OSD, ns, key string) {
	t.Helper()
	if err := os.Remove(copyPath(o, escapeName(ns), escapeName(key))); err != nil {
		t.Fatal(err)
	}
	if err := o.idx.remove(escapeName(ns), key); err != nil {
		t.Fatal(err)
	}
}

func entryKeys(es []storage.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}

func TestListThroughIndex(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.LocalMeta()
	osds := b.LocalOSDs()
	ctx := t.Context()
	long := "L/" + strings.Repeat("x%", 150) // escapes past maxEscaped: hash name
	if !isHashName(escapeName(long)) {
		t.Fatal("long key is not hash-named")
	}
	keys := []string{"a", "a/b", "a/c/d", "a%d", "a-e", "a.f", "a~g", "b", "b/", "é", "日本/語", "日本語", long, long + "2",
		"deleted", "w-only", "orphan", "zz"}
	for _, k := range keys {
		if _, err := m.Put(ctx, "ns", k, []byte("v:"+k), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Delete(ctx, "ns", "deleted", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	// w-only reached W = 4 replicas, not the first two of the R = 3 listed.
	dropCopy(t, osds[0], "ns", "w-only")
	dropCopy(t, osds[1], "ns", "w-only")
	// orphan's record is on replica 0 but its index entry is lost there.
	if err := osds[0].idx.remove(escapeName("ns"), "orphan"); err != nil {
		t.Fatal(err)
	}
	// ghost is indexed on replica 0 with no record anywhere (a crash after
	// the index insert, before any record was written).
	if err := osds[0].idx.insert(escapeName("ns"), "ghost"); err != nil {
		t.Fatal(err)
	}

	var live []string
	for _, k := range keys {
		if k != "deleted" {
			live = append(live, k)
		}
	}
	sort.Strings(live)
	want := func(prefix, after string, limit int) []string {
		var out []string
		for _, k := range live {
			if len(out) < limit && strings.HasPrefix(k, prefix) && k > after {
				out = append(out, k)
			}
		}
		return out
	}
	cases := []struct {
		prefix, after string
		limit         int
	}{
		{"", "", 100},
		{"", "", 1},
		{"", "", 5},
		{"a", "", 100},
		{"a/", "", 100},
		{"a", "a%d", 100},
		{"a", "a/b", 2},
		{"", "a", 3},
		{"", "b", 100},
		{"b", "a", 100},
		{"a/", "b", 100},
		{"日本", "", 10},
		{"日本/", "", 10},
		{"é", "", 10},
		{"L/", "", 10},
		{"L/", long, 10},
		{"de", "", 10},
		{"g", "", 10},
		{"w", "", 10},
		{"", "zz", 10},
		{"zzz", "", 10},
		{"", "", 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q/%q/%d", tc.prefix, tc.after, tc.limit), func(t *testing.T) {
			es, err := m.List(ctx, "ns", tc.prefix, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got, w := entryKeys(es), want(tc.prefix, tc.after, tc.limit); !slices.Equal(got, w) {
				t.Fatalf("List = %q, want %q", got, w)
			}
			for _, e := range es {
				if string(e.Value) != "v:"+e.Key || e.Version == 0 {
					t.Fatalf("entry %q = %q v%d", e.Key, e.Value, e.Version)
				}
			}
		})
	}
	// Paging with every page size yields the whole listing.
	for _, page := range []int{1, 2, 3, 7} {
		var got []string
		after := ""
		for {
			es, err := m.List(ctx, "ns", "", after, page)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, entryKeys(es)...)
			if len(es) < page {
				break
			}
			after = es[len(es)-1].Key
		}
		if !slices.Equal(got, live) {
			t.Fatalf("paging by %d = %q, want %q", page, got, live)
		}
	}
	// The listings pruned the stale entries they met.
	for i, o := range osds[:3] {
		for _, k := range indexKeys(t, o, "ns") {
			if k == "ghost" || k == "deleted" {
				t.Errorf("replica %d still indexes %q", i, k)
			}
		}
	}
	// Scrub gives the orphan its entry back.
	res, err := m.Scrub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reindexed < 1 || !slices.Contains(indexKeys(t, osds[0], "ns"), "orphan") {
		t.Fatalf("Scrub = %+v; orphan not reindexed on replica 0: %q", res, indexKeys(t, osds[0], "ns"))
	}
	// And w-only is back on every replica, index included.
	if !slices.Contains(indexKeys(t, osds[1], "ns"), "w-only") {
		t.Fatal("w-only not reindexed on replica 1")
	}
	// Every index equals its replica's live records now.
	for i, o := range osds {
		if got := indexKeys(t, o, "ns"); !slices.Equal(got, live) {
			t.Errorf("replica %d index = %q, want %q", i, got, live)
		}
	}
}

func TestScrubReconcilesIndex(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.LocalMeta()
	o := b.LocalOSDs()[2]
	ctx := t.Context()
	for _, k := range []string{"k1", "k2", "k3"} {
		if _, err := m.Put(ctx, "ns", k, []byte("v"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Delete(ctx, "ns", "k2", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	// Replica 2's index loses k1 and gains entries without records, in a
	// namespace with no directory as well.
	if err := o.idx.remove(escapeName("ns"), "k1"); err != nil {
		t.Fatal(err)
	}
	for _, e := range [][2]string{{"ns", "stale"}, {"gone-ns", "x"}} {
		if err := o.idx.insert(escapeName(e[0]), e[1]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.Scrub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reindexed != 1 || res.Dropped != 1 {
		t.Fatalf("Scrub = %+v, want 1 reindexed, 1 tombstone dropped", res)
	}
	for i, o := range b.LocalOSDs() {
		if got := indexKeys(t, o, "ns"); !slices.Equal(got, []string{"k1", "k3"}) {
			t.Errorf("replica %d index = %q", i, got)
		}
		nss, err := o.idx.namespaces()
		if err != nil || slices.Contains(nss, "gone-ns") {
			t.Errorf("replica %d namespaces = %q, %v", i, nss, err)
		}
	}
}

// countOps counts record-file reads on every OSD and directory listings.
type countOps struct{ reads, dirs atomic.Int64 }

func (c *countOps) install(t testing.TB, osds []*OSD) {
	for _, o := range osds {
		o.fault = func(op string) error {
			if op == "read" {
				c.reads.Add(1)
			}
			return nil
		}
	}
	testHookReadDir = func(string) { c.dirs.Add(1) }
	t.Cleanup(func() {
		testHookReadDir = nil
		for _, o := range osds {
			o.fault = nil
		}
	})
}

func (c *countOps) reset() { c.reads.Store(0); c.dirs.Store(0) }

// threeOSDs is a three-OSD layout under dir (W = R = 2): the large tests
// write a third as many files as with the default six.
func threeOSDs(t testing.TB, dir string) []OSDSpec {
	t.Helper()
	l, err := ParseLayout(fmt.Sprintf("r0:%s/d0,r1:%s/d1,r2:%s/d2", dir, dir, dir))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// seedKeys writes n records of namespace ns straight into every replica of
// the backend at dir, bypassing Put (and the index), then removes the
// indexes, as a data directory from before the index would have them.
func seedKeys(t testing.TB, dir string, layout []OSDSpec, ns string, n int) []string {
	t.Helper()
	b, err := Open(Options{Dir: dir, Layout: layout, Fsync: FsyncNever, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	osds := b.LocalOSDs()
	b.Close()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("obj/%08d", i)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(osds))
	for i, o := range osds {
		wg.Go(func() {
			d := filepath.Join(o.metaDir(), escapeName(ns))
			if err := os.MkdirAll(d, 0o700); err != nil {
				errs[i] = err
				return
			}
			for j, k := range keys {
				if err := os.WriteFile(filepath.Join(d, escapeName(k)), encodeValue(k, []byte("v"), storage.Version(j+1)), 0o600); err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = os.Remove(filepath.Join(o.metaDir(), indexFile))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestListCostsOPage lists pages of a 20,000-key namespace and counts the
// record reads and directory listings: a page costs a bounded multiple of
// its size whatever the namespace holds.
func TestListCostsOPage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 60,000 files")
	}
	dir := t.TempDir()
	layout := threeOSDs(t, dir)
	keys := seedKeys(t, dir, layout, "big", 20000)
	// Open builds the missing indexes (migration of an older directory).
	b := openTest(t, Options{Dir: dir, Layout: layout, Fsync: FsyncNever})
	m := b.LocalMeta()
	ctx := t.Context()
	var c countOps
	c.install(t, b.LocalOSDs())
	_, r := m.Quorums()
	const page = 10
	maxReads := int64(page * r * 2)
	check := func(what, prefix, after string, want []string) {
		t.Helper()
		c.reset()
		es, err := m.List(ctx, "big", prefix, after, page)
		if err != nil {
			t.Fatal(err)
		}
		if got := entryKeys(es); !slices.Equal(got, want) {
			t.Fatalf("%s: List = %q, want %q", what, got, want)
		}
		if c.reads.Load() > maxReads || c.dirs.Load() != 0 {
			t.Fatalf("%s: a page of %d read %d records (max %d) and listed %d directories",
				what, page, c.reads.Load(), maxReads, c.dirs.Load())
		}
	}
	check("first page", "", "", keys[:page])
	check("middle page", "obj/", keys[12345], keys[12346:12346+page])
	check("prefix", "obj/0001999", "", keys[19990:20000])
	check("last page", "", keys[19995], keys[19996:])

	// Deleted keys cost their quorum reads once: the listing prunes them.
	for _, k := range keys[100:150] {
		if err := m.Delete(ctx, "big", k, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	c.reset()
	if es, err := m.List(ctx, "big", "", keys[99], page); err != nil || es[0].Key != keys[150] {
		t.Fatalf("List after deletes = %q, %v", entryKeys(es), err)
	}
	check("after pruning", "", keys[99], keys[150:150+page])
}

func TestCorruptIndexRebuilt(t *testing.T) {
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	m := b.LocalMeta()
	ctx := t.Context()
	want := make([]string, 300)
	for i := range want {
		want[i] = fmt.Sprintf("k%04d", i)
		if _, err := m.Put(ctx, "ns", want[i], []byte("v"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	listAll := func(m *Meta) {
		t.Helper()
		es, err := m.List(ctx, "ns", "", "", 1000)
		if err != nil || !slices.Equal(entryKeys(es), want) {
			t.Fatalf("List = %d keys, %v; want %d", len(es), err, len(want))
		}
	}
	osds := b.LocalOSDs()
	// Garbage over replica 0's index while the backend runs: the next use
	// cannot open it and rebuilds it.
	if err := os.WriteFile(filepath.Join(osds[0].metaDir(), indexFile), []byte(strings.Repeat("garbage!", 2048)), 0o600); err != nil {
		t.Fatal(err)
	}
	listAll(m)
	if got := indexKeys(t, osds[0], "ns"); !slices.Equal(got, want) {
		t.Fatalf("rebuilt index holds %d keys, want %d", len(got), len(want))
	}
	b.Close()

	// Damaged pages (not the meta pages) of replicas 1 and 2, and a
	// truncated file on replica 3: the consistency check at open finds them.
	for i := 1; i <= 2; i++ {
		p := filepath.Join(osds[i].metaDir(), indexFile)
		img, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ps := os.Getpagesize()
		for off := 2 * ps; off < len(img); off += 97 {
			img[off] ^= 0xa5
		}
		if err := os.WriteFile(p, img, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(filepath.Join(osds[3].metaDir(), indexFile), 100); err != nil {
		t.Fatal(err)
	}
	var logged lockedBuf
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	listAll(b.LocalMeta())
	for _, id := range []string{"osd1", "osd2", "osd3"} {
		if !strings.Contains(logged.String(), "meta index unusable; rebuilding it from the replica's directory\" osd="+id) {
			t.Errorf("no rebuild of %s logged:\n%s", id, logged.String())
		}
	}
	for i, o := range b.LocalOSDs() {
		if got := indexKeys(t, o, "ns"); !slices.Equal(got, want) {
			t.Fatalf("replica %d index holds %d keys after reopen, want %d", i, len(got), len(want))
		}
	}
}

// lockedBuf is a log sink safe for concurrent writers.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestUnusableIndexFallsBack makes the index of two replicas impossible to
// open or build: listing reads their directories instead and stays right.
func TestUnusableIndexFallsBack(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.LocalMeta()
	ctx := t.Context()
	var want []string
	for i := range 20 {
		k := fmt.Sprintf("k%02d", i)
		want = append(want, k)
		if _, err := m.Put(ctx, "ns", k, []byte("v"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	osds := b.LocalOSDs()
	// w-only is on replicas 2-5 only: listing needs replica 2's directory.
	dropCopy(t, osds[0], "ns", "k07")
	dropCopy(t, osds[1], "ns", "k07")
	for _, o := range osds[1:3] {
		p := filepath.Join(o.metaDir(), indexFile)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o700); err != nil { // neither openable nor replaceable
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "x"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	es, err := m.List(ctx, "ns", "", "", 100)
	if err != nil || !slices.Equal(entryKeys(es), want) {
		t.Fatalf("List = %q, %v; want %q", entryKeys(es), err, want)
	}
}

func TestReplacementOSDIndexRefilled(t *testing.T) {
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	putKeys(t, b.Meta(), 20)
	b.Close()
	p := filepath.Join(dir, "osd3")
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	o := b.LocalOSDs()[3]
	if got := indexKeys(t, o, "ns"); len(got) != 0 {
		t.Fatalf("replacement index holds %q before refill", got)
	}
	if err := b.MarkFilled("osd3"); err != nil {
		t.Fatal(err)
	}
	if got := indexKeys(t, o, "ns"); len(got) != 20 {
		t.Fatalf("refilled index holds %d keys, want 20", len(got))
	}
}

// TestIndexFileIsBolt checks the on-disk format other tools may rely on:
// a bbolt database with a bucket per namespace directory name.
func TestIndexFileIsBolt(t *testing.T) {
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	if _, err := b.Meta().Put(t.Context(), "a/b", "k/1", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(b.LocalOSDs()[0].metaDir(), indexFile)
	b.Close()
	db, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true, Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(escapeName("a/b")))
		if bk == nil || !has(bk.Cursor(), []byte("k/1")) {
			return fmt.Errorf("key not indexed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkListPage lists a 100-key page of namespaces of 1,000 and
// 100,000 keys: the cost per page stays flat.
func BenchmarkListPage(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			layout := threeOSDs(b, dir)
			keys := seedKeys(b, dir, layout, "bench", n)
			be := openTest(b, Options{Dir: dir, Layout: layout, Fsync: FsyncNever})
			m := be.LocalMeta()
			const page = 100
			b.ReportAllocs()
			b.ResetTimer()
			listed := 0
			for i := 0; b.Loop(); i++ {
				after := keys[(i*7919)%(len(keys)-page)]
				es, err := m.List(b.Context(), "bench", "", after, page)
				if err != nil || len(es) != page {
					b.Fatalf("List = %d, %v", len(es), err)
				}
				listed += len(es)
			}
			b.ReportMetric(float64(listed)/float64(b.N), "keys/op")
		})
	}
}
