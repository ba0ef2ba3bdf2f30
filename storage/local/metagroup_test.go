package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// shareGroup gives every OSD of b the one commit group g (what OSDs on one
// filesystem get at Open) and returns b's OSDs.
func shareGroup(b *Backend, g *syncGroup) []*OSD {
	osds := b.LocalOSDs()
	for _, o := range osds {
		o.group = g
	}
	return osds
}

// waitCalls waits until n calls of g.Sync have begun.
func waitCalls(t *testing.T, g *syncGroup, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for g.callCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls of Sync began, want %d", g.callCount(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// wantCopies checks whether keys k0..k(n-1) of namespace "ns" have a
// copy on every OSD (want) or on none.
func wantCopies(t *testing.T, osds []*OSD, n int, want bool) {
	t.Helper()
	for _, o := range osds {
		for i := range n {
			_, err := os.Stat(copyPath(o, escapeName("ns"), escapeName(fmt.Sprintf("k%d", i))))
			if got := err == nil; got != want {
				t.Fatalf("OSD %s: copy of k%d present = %v (%v), want %v", o.id, i, got, err, want)
			}
		}
	}
}

// TestGroupCommitMetaSharesSyncs: under CommitGroup the metadata copies
// of concurrent writes wait on the filesystem's shared sync, twice each
// (after writing the temporary file, after renaming it), instead of an
// fsync of the file and of the directory each. The fake sync is held
// until every writer of a phase queues, so the count is exact: n writes
// of 6 copies (12n waits) take 4 syncs: the one already running when they
// arrive, one for every copy's data, one started by the first rename and
// one for the renames that queued behind it.
func TestGroupCommitMetaSharesSyncs(t *testing.T) {
	b := openTest(t, Options{Commit: CommitGroup, NoIndex: true, ProbeInterval: time.Hour})
	m := b.Meta()
	gs := newGatedSync()
	g := newSyncGroup(gs.sync)
	osds := shareGroup(b, g)
	copies := uint64(len(osds))

	blocker := make(chan error, 1)
	go func() { blocker <- g.Sync() }()
	<-gs.started // sync 1 runs, begun before any write
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := m.Put(t.Context(), "ns", fmt.Sprintf("k%d", i), []byte(fmt.Sprintf("v%d", i)), storage.Cond{})
			errs <- err
		}()
	}
	waitCalls(t, g, 1+n*copies) // every copy written, waiting for its data
	// The copies' data is not yet durable: none may be renamed in.
	wantCopies(t, osds, n, false)
	gs.release <- nil // sync 1: acknowledges only the blocker
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	<-gs.started
	gs.release <- nil             // sync 2: every copy's data
	waitCalls(t, g, 1+2*n*copies) // every copy renamed, waiting for its entry
	wantCopies(t, osds, n, true)
	for range 2 {
		<-gs.started
		gs.release <- nil // syncs 3 and 4
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if c := g.count(); c != 4 {
		t.Fatalf("%d writes of %d copies ran %d syncs, want 4", n, copies, c)
	}
	for i := range n {
		got, _, err := m.Get(t.Context(), "ns", fmt.Sprintf("k%d", i))
		if err != nil || string(got) != fmt.Sprintf("v%d", i) {
			t.Fatalf("Get k%d = %q, %v", i, got, err)
		}
	}
	for _, o := range osds {
		if !o.Healthy() {
			t.Fatalf("OSD %s down: %s", o.id, o.lastError())
		}
	}
}

// TestGroupCommitMetaSyncFails: when the filesystem's sync fails, every
// copy waiting on it fails before its rename, so the write fails, every
// OSD of the filesystem is marked down, no temporary file is left, and the
// previous record is what a read returns once the OSDs are back.
func TestGroupCommitMetaSyncFails(t *testing.T) {
	b := openTest(t, Options{Commit: CommitGroup, ProbeInterval: time.Hour})
	m := b.Meta()
	if _, err := m.Put(t.Context(), "ns", "k", []byte("old"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	good := b.LocalOSDs()[0].group
	boom := errors.New("syncfs failed")
	var mu sync.Mutex
	syncs := 0
	osds := shareGroup(b, newSyncGroup(func() error {
		mu.Lock()
		syncs++
		mu.Unlock()
		return boom
	}))
	_, err := m.Put(t.Context(), "ns", "k", []byte("new"), storage.Cond{})
	if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, boom) {
		t.Fatalf("Put with the sync failing = %v", err)
	}
	if syncs == 0 {
		t.Fatal("the write never waited on the group sync")
	}
	for _, o := range osds {
		if o.Healthy() || !strings.Contains(o.lastError(), "syncfs failed") {
			t.Fatalf("OSD %s after a failed group sync: healthy %v, last error %q", o.id, o.Healthy(), o.lastError())
		}
		names, err := readDirNames(filepath.Join(o.metaDir(), escapeName("ns")))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasPrefix(name, tmpPrefix) {
				t.Fatalf("OSD %s kept temporary file %s", o.id, name)
			}
		}
	}
	shareGroup(b, good)
	for _, o := range osds {
		o.markUp()
	}
	got, _, err := m.Get(t.Context(), "ns", "k")
	if err != nil || string(got) != "old" {
		t.Fatalf("Get after the failed write = %q, %v; want the previous record", got, err)
	}
	// The filesystem recovered: writes work again.
	if _, err := m.Put(t.Context(), "ns", "k", []byte("new"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := m.Get(t.Context(), "ns", "k"); err != nil || string(got) != "new" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

// TestGroupCommitMetaNoDirFsyncs: under CommitGroup a metadata write asks
// for no directory fsync, not even for a namespace directory it creates:
// the group sync covers the entries.
func TestGroupCommitMetaNoDirFsyncs(t *testing.T) {
	b := openTest(t, Options{Commit: CommitGroup, NoIndex: true})
	osds := b.LocalOSDs()
	var mu sync.Mutex
	dirSyncs := 0
	for _, o := range osds {
		o.dirs.sync = func(dir string) error {
			mu.Lock()
			dirSyncs++
			mu.Unlock()
			return syncDir(dir)
		}
	}
	g := osds[0].group
	before := g.count()
	// A fresh namespace: its directory is created on every replica.
	if _, err := b.Meta().Put(t.Context(), "fresh", "k", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if dirSyncs != 0 {
		t.Fatalf("%d directory fsyncs under group commit", dirSyncs)
	}
	if g.count() == before {
		t.Fatal("no group sync ran for the write")
	}
	for _, o := range osds {
		if _, err := os.Stat(copyPath(o, escapeName("fresh"), escapeName("k"))); err != nil {
			t.Fatal(err)
		}
	}
}
