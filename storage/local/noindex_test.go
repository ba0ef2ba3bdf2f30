package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// indexFiles returns the index databases present under b's replicas.
func indexFiles(t *testing.T, b *Backend) []string {
	t.Helper()
	var out []string
	for _, o := range b.LocalOSDs() {
		for _, name := range []string{indexFile, indexBuildFile} {
			p := filepath.Join(o.metaDir(), name)
			if _, err := os.Stat(p); err == nil {
				out = append(out, p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestNoIndexList lists from the replicas' directories: prefix, after and
// limit, hash-named keys, deleted keys and a key missing from the first
// replicas all behave as with the index, and no index file is created or
// kept.
func TestNoIndexList(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	// A data directory an indexed open used first: its index files go.
	old := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	if _, err := old.Meta().Put(ctx, "ns", "before", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if len(indexFiles(t, old)) == 0 {
		t.Fatal("indexed open wrote no index file")
	}
	old.Close()

	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever, NoIndex: true})
	if f := indexFiles(t, b); len(f) != 0 {
		t.Fatalf("index files left after a NoIndex open: %v", f)
	}
	m := b.LocalMeta()
	long := "L/" + strings.Repeat("x%", 150)
	keys := []string{"a", "a/b", "a/c/d", "a%d", "a-e", "a~g", "b", "b/", "é", "日本/語", long, long + "2", "deleted", "w-only", "zz"}
	for _, k := range keys {
		if _, err := m.Put(ctx, "ns", k, []byte("v:"+k), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Delete(ctx, "ns", "deleted", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	// w-only reached W = 4 replicas, not the first two of the R = 3 listed.
	for _, o := range b.LocalOSDs()[:2] {
		if err := os.Remove(copyPath(o, escapeName("ns"), escapeName("w-only"))); err != nil {
			t.Fatal(err)
		}
	}
	live := []string{"before"}
	for _, k := range keys {
		if k != "deleted" {
			live = append(live, k)
		}
	}
	slices.Sort(live)
	want := func(prefix, after string, limit int) []string {
		var out []string
		for _, k := range live {
			if len(out) < limit && strings.HasPrefix(k, prefix) && k > after {
				out = append(out, k)
			}
		}
		return out
	}
	for _, c := range []struct {
		prefix, after string
		limit         int
	}{
		{"", "", 100}, {"", "", 3}, {"a", "", 100}, {"a", "a/b", 2}, {"a/", "a", 100},
		{"", "b", 100}, {"b", "a~g", 100}, {"d", "", 5}, {"w", "", 1}, {"L/", "", 1}, {"zz", "zz", 5},
		{"", "zz", 5}, {"日本", "", 5},
	} {
		es, err := m.List(ctx, "ns", c.prefix, c.after, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got, w := entryKeys(es), want(c.prefix, c.after, c.limit); !slices.Equal(got, w) {
			t.Errorf("List(%q, %q, %d) = %q, want %q", c.prefix, c.after, c.limit, got, w)
		}
		for _, e := range es {
			if string(e.Value) != "v:"+e.Key && e.Key != "before" {
				t.Errorf("List value of %q = %q", e.Key, e.Value)
			}
		}
	}
	if f := indexFiles(t, b); len(f) != 0 {
		t.Fatalf("NoIndex writes created index files: %v", f)
	}

	// Listing read-repaired w-only's copies.
	if _, err := os.Stat(copyPath(b.LocalOSDs()[0], escapeName("ns"), escapeName("w-only"))); err != nil {
		t.Fatalf("w-only not read-repaired: %v", err)
	}
	// The scrub walks the directories: every key (and the backend's own
	// sys/osds), the tombstone dropped, no index work.
	r, err := m.Scrub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Checked != len(live)+2 || r.Dropped != 1 || r.Reindexed != 0 || r.Unindexed != 0 {
		t.Fatalf("scrub = %+v, want %d checked, 1 dropped, no index work", r, len(live)+2)
	}
	if f := indexFiles(t, b); len(f) != 0 {
		t.Fatalf("NoIndex scrub created index files: %v", f)
	}
	b.Close()

	// An indexed open afterwards rebuilds the index from the directories,
	// so keys written without it are listed.
	again := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	es, err := again.Meta().List(ctx, "ns", "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := entryKeys(es); !slices.Equal(got, live) {
		t.Fatalf("indexed List after NoIndex writes = %q, want %q", got, live)
	}
}
