package sealed_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func testKey(b byte) sealed.KeyFunc {
	return func(_ context.Context, rootID string) ([32]byte, string, error) {
		var k [32]byte
		for i := range k {
			k[i] = b + byte(i)
		}
		if rootID != "" && rootID != fmt.Sprint("root-", b) {
			return k, "", fmt.Errorf("root %s not configured", rootID)
		}
		return k, fmt.Sprint("root-", b), nil
	}
}

// openLocal opens the local backend as the server does under the wrapper:
// without its own ordered key index.
func openLocal(t testing.TB, dir string) storage.Backend {
	return openLocalIndex(t, dir, false)
}

// openLocalIndex opens the local backend, with its key index when index is
// set (a direct user's default).
func openLocalIndex(t testing.TB, dir string, index bool) storage.Backend {
	t.Helper()
	b, err := local.Open(local.Options{Dir: dir, Fsync: local.FsyncNever, Logger: quietLog, NoIndex: !index})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openSealed(t testing.TB, dir string, o sealed.Options) *sealed.Backend {
	t.Helper()
	raw := openLocal(t, dir)
	b, err := sealed.Open(t.Context(), raw, testKey(1), o)
	if err != nil {
		raw.Close()
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		// Small leaves, so the suite's namespaces split and walk links.
		return openSealed(t, t.TempDir(), sealed.Options{LeafBytes: 1})
	})
}

// Two wrappers (two gateways) on one backend insert concurrently into one
// namespace, with leaves small enough to split all the time: every key
// stays listable, in order, from either.
func TestConcurrentGatewaysKeepEveryKey(t *testing.T) {
	dir := t.TempDir()
	a := openSealed(t, dir, sealed.Options{LeafBytes: 1})
	defer a.Close()
	b := openSealed(t, dir, sealed.Options{LeafBytes: 1})
	defer b.Close()
	const per, workers = 30, 3
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for gi, g := range []*sealed.Backend{a, b} {
		for w := range workers {
			wg.Go(func() {
				for i := range per {
					k := fmt.Sprintf("k/%03d/%d/%d", i, gi, w)
					if _, err := g.Meta().Put(context.Background(), "ns", k, []byte(k), storage.Cond{IfAbsent: true}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, g := range []*sealed.Backend{a, b} {
		got := listAll(t, g.Meta(), "ns", "", 7)
		if len(got) != 2*workers*per || !slices.IsSorted(got) {
			t.Fatalf("listed %d keys (sorted %v), want %d", len(got), slices.IsSorted(got), 2*workers*per)
		}
	}
}

// guideCounter counts the index guide blocks written through it (stored
// keys ending in ".g", docs/FORMAT.md).
type guideCounter struct {
	storage.Meta
	guides atomic.Int64
}

func (g *guideCounter) Put(ctx context.Context, ns, key string, v []byte, c storage.Cond) (storage.Version, error) {
	if strings.HasSuffix(key, ".g") {
		g.guides.Add(1)
	}
	return g.Meta.Put(ctx, ns, key, v, c)
}

// The same with long keys and the smallest leaves and guides, so that
// leaves split every few inserts, guides split under both gateways at once
// and the root moves its leaves into guides meanwhile: every key is listed
// exactly once, in order, by either gateway and by a third that has
// cached nothing.
func TestConcurrentGatewaysSplitGuides(t *testing.T) {
	raw := openLocal(t, t.TempDir())
	defer raw.Close()
	gc := &guideCounter{Meta: raw.Meta()}
	k, _, _ := testKey(1)(t.Context(), "")
	o := sealed.Options{Key: k, LeafBytes: 1, GuideBytes: 1}
	var gws []*sealed.Meta
	for range 3 {
		m, err := sealed.New(gc, o)
		if err != nil {
			t.Fatal(err)
		}
		gws = append(gws, m)
	}
	const per, workers = 50, 4
	pad := strings.Repeat("p", 300)
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for gi, g := range gws[:2] {
		for w := range workers {
			wg.Go(func() {
				for i := range per {
					k := fmt.Sprintf("%s/%03d/%d/%d", pad, i, gi, w)
					if _, err := g.Put(context.Background(), "ns", k, []byte{1}, storage.Cond{IfAbsent: true}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if gc.guides.Load() < 4 {
		t.Fatalf("%d guide writes: the test is not splitting guides", gc.guides.Load())
	}
	t.Logf("%d guide writes", gc.guides.Load())
	for i, g := range gws {
		got := listAll(t, g, "ns", "", 7)
		if len(got) != 2*workers*per || !slices.IsSorted(got) || len(slices.Compact(got)) != len(got) {
			t.Fatalf("gateway %d listed %d keys (sorted %v), want %d distinct", i, len(got), slices.IsSorted(got), 2*workers*per)
		}
	}
}

func listAll(t testing.TB, m storage.Meta, ns, prefix string, page int) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		es, err := m.List(t.Context(), ns, prefix, after, page)
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

// Listing keeps byte order for keys that share prefixes, hold control
// characters and bytes ≥ 0x80, and run to the length limit.
func TestListOrderAwkwardKeys(t *testing.T) {
	b := openSealed(t, t.TempDir(), sealed.Options{LeafBytes: 1})
	defer b.Close()
	m := b.Meta()
	keys := []string{"a", "a\x00", "a\x00b", "a\x01", "a/", "a/b", "ab", "a\x7f", "a\xff", "\x01", "\t", "é",
		strings.Repeat("x", storage.MaxKeyLen), strings.Repeat("x", storage.MaxKeyLen-1), strings.Repeat("x", 1024) + "\x00"}
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("dir/%c/%d", 'a'+i%5, i))
	}
	for _, k := range keys {
		if _, err := m.Put(t.Context(), "ord", k, []byte(k), storage.Cond{}); err != nil {
			t.Fatalf("Put %q: %v", k, err)
		}
	}
	slices.Sort(keys)
	for _, page := range []int{1, 3, 1000} {
		if got := listAll(t, m, "ord", "", page); !slices.Equal(got, keys) {
			t.Fatalf("page %d: listed %q, want %q", page, got, keys)
		}
	}
	var want []string
	for _, k := range keys {
		if strings.HasPrefix(k, "a\x00") {
			want = append(want, k)
		}
	}
	if got := listAll(t, m, "ord", "a\x00", 2); !slices.Equal(got, want) {
		t.Fatalf("prefix a\\x00: %q, want %q", got, want)
	}
}

// A value copied onto another key's record, or altered, is refused.
func TestTamperedOrMovedValueRefused(t *testing.T) {
	dir := t.TempDir()
	b := openSealed(t, dir, sealed.Options{})
	defer b.Close()
	m := b.Meta()
	for _, k := range []string{"alice", "bob"} {
		if _, err := m.Put(t.Context(), "iam", k, []byte("secret of "+k), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	inner := b.Unwrap().Meta()
	// Find the two stored records by listing the one hashed namespace that has two.
	var recs []storage.Entry
	for _, ns := range storedNamespaces(t, dir) {
		es, err := inner.List(t.Context(), ns, "", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 2 && ns[0] == 'm' {
			recs = es
		}
	}
	if recs == nil {
		t.Fatal("no stored namespace with the two records")
	}
	// Move record 0's value onto record 1's key.
	if _, err := inner.Put(t.Context(), nsOf(t, dir, recs), recs[1].Key, recs[0].Value, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(recs[0].Value)
	flipped[len(flipped)-1] ^= 1
	if _, err := inner.Put(t.Context(), nsOf(t, dir, recs), recs[0].Key, flipped, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"alice", "bob"} {
		if _, _, err := m.Get(t.Context(), "iam", k); !errors.Is(err, storage.ErrCorrupt) {
			t.Fatalf("Get %s after tampering: %v, want ErrCorrupt", k, err)
		}
	}
	// Listing skips unreadable records instead of failing, as backends do.
	if _, err := m.Put(t.Context(), "iam", "carol", []byte("ok"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if es, err := m.List(t.Context(), "iam", "", "", 10); err != nil || len(es) != 1 || es[0].Key != "carol" {
		t.Fatalf("List after tampering: %v %v", es, err)
	}
}

// storedNamespaces lists the namespace directories of the first OSD.
func storedNamespaces(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	osds, _ := filepath.Glob(filepath.Join(dir, "*", "meta"))
	if len(osds) == 0 {
		t.Fatal("no OSD meta directory")
	}
	ents, err := os.ReadDir(osds[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// nsOf returns the stored namespace holding recs (names are not escaped:
// hashed names use only unreserved bytes).
func nsOf(t *testing.T, dir string, recs []storage.Entry) string {
	t.Helper()
	for _, ns := range storedNamespaces(t, dir) {
		if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(firstMeta(t, dir))), "meta", ns, recs[0].Key)); err == nil {
			return ns
		}
	}
	t.Fatal("namespace not found")
	return ""
}

func firstMeta(t *testing.T, dir string) string {
	osds, _ := filepath.Glob(filepath.Join(dir, "*", "meta", "x"))
	if len(osds) == 0 {
		osds, _ = filepath.Glob(filepath.Join(dir, "*", "meta", "*"))
	}
	return osds[0]
}

// Nothing under the data directory names a namespace, key or value.
func TestNoPlaintextOnDisk(t *testing.T) {
	dir := t.TempDir()
	b := openSealed(t, dir, sealed.Options{LeafBytes: 1})
	m := b.Meta()
	for i := range 40 {
		k := fmt.Sprintf("MARKERKEY-%d", i)
		if _, err := m.Put(t.Context(), "MARKERNS", k, []byte("MARKERVALUE"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("MARKERBIG"), storage.MaxValueLen/9)
	if _, err := m.Put(t.Context(), "MARKERNS", "MARKERKEY-big", big, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(p, "MARKER") {
			t.Errorf("path %s names a marker", p)
		}
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte("MARKER")) {
				t.Errorf("%s holds a marker", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The format marker binds the store to its key and refuses plaintext
// stores.
func TestFormatMarker(t *testing.T) {
	dir := t.TempDir()
	b := openSealed(t, dir, sealed.Options{})
	b.Close()
	raw := openLocal(t, dir)
	defer raw.Close()
	if _, err := sealed.Open(t.Context(), raw, testKey(2), sealed.Options{}); err == nil || !strings.Contains(err.Error(), "root-1") {
		t.Fatalf("open under another root: %v", err)
	}
	plain := openLocal(t, t.TempDir())
	defer plain.Close()
	if _, err := plain.Meta().Put(t.Context(), "buckets", "old", []byte("{}"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.Open(t.Context(), plain, testKey(1), sealed.Options{}); !errors.Is(err, sealed.ErrPlaintextStore) {
		t.Fatalf("open plaintext store: %v", err)
	}
}

// A stale index entry (the process died between index insert and record
// write, or a delete's index update failed) is skipped; Delete clears it.
func TestStaleIndexEntrySkipped(t *testing.T) {
	dir := t.TempDir()
	b := openSealed(t, dir, sealed.Options{})
	defer b.Close()
	m := b.Meta()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := m.Put(t.Context(), "ns", k, []byte(k), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	// Remove b's record below the wrapper: its index entry is now stale.
	inner := b.Unwrap().Meta()
	var ns string
	var recs []storage.Entry
	for _, n := range storedNamespaces(t, dir) {
		es, err := inner.List(t.Context(), n, "", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if n[0] == 'm' && len(es) == 3 {
			ns, recs = n, es
		}
	}
	if recs == nil {
		t.Fatal("records not found")
	}
	for _, r := range recs {
		if v, _, err := m.Get(t.Context(), "ns", "b"); err != nil || string(v) != "b" {
			t.Fatal(v, err)
		}
		if _, _, err := inner.Get(t.Context(), ns, r.Key); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range recs {
		if err := inner.Delete(t.Context(), ns, r.Key, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Get(t.Context(), "ns", "b"); errors.Is(err, storage.ErrNotFound) {
			break // that was b's record
		}
		if _, err := inner.Put(t.Context(), ns, r.Key, r.Value, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := listAll(t, m, "ns", "", 2); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("listed %q", got)
	}
	// Deleting the missing key reports it missing and clears the entry.
	if err := m.Delete(t.Context(), "ns", "b", storage.Cond{}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Delete of the stale key: %v", err)
	}
	if got := listAll(t, m, "ns", "", 2); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("listed %q", got)
	}
	if err := m.Delete(t.Context(), "ns", "a", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, m, "ns", "", 2); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("listed %q after delete", got)
	}
}

// Two gateways put and delete the same keys at once: afterwards a key is
// listed exactly when it has a record (Delete's removal from the index and
// a concurrent Put's re-check must not leave a live record unlisted).
func TestConcurrentPutDeleteListedIffLive(t *testing.T) {
	dir := t.TempDir()
	a := openSealed(t, dir, sealed.Options{LeafBytes: 1})
	defer a.Close()
	b := openSealed(t, dir, sealed.Options{LeafBytes: 1})
	defer b.Close()
	keys := make([]string, 12)
	for i := range keys {
		keys[i] = fmt.Sprintf("churn/%02d", i)
	}
	var wg sync.WaitGroup
	for gi, g := range []*sealed.Backend{a, b} {
		for w := range 2 {
			wg.Go(func() {
				for i := range 40 {
					k := keys[(i*7+w*3+gi)%len(keys)]
					if (i+w+gi)%3 == 0 {
						_ = g.Meta().Delete(context.Background(), "ns", k, storage.Cond{})
					} else if _, err := g.Meta().Put(context.Background(), "ns", k, []byte(k), storage.Cond{}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	listed := listAll(t, a.Meta(), "ns", "", 5)
	var live []string
	for _, k := range keys {
		if _, _, err := b.Meta().Get(t.Context(), "ns", k); err == nil {
			live = append(live, k)
		} else if !errors.Is(err, storage.ErrNotFound) {
			t.Fatal(err)
		}
	}
	if !slices.Equal(listed, live) {
		t.Fatalf("listed %q, live %q", listed, live)
	}
}
