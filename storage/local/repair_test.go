package local

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// pausedWrite holds a metadata write in the middle: the copies of the OSDs
// in hold wait at the start of their write until release is closed, while
// the other OSDs' copies go in place. It counts every copy write and every
// lock call that had to wait.
type pausedWrite struct {
	started chan int      // a held OSD's write reached the hook
	placed  chan int      // a free OSD's copy is renamed into place
	release chan struct{} // lets the held writes go on
	writes  atomic.Int64  // copy writes started, on any OSD
	waited  atomic.Int64  // lock calls that found their stripe held
}

// pauseWrites arms b's hooks (fsync must be on: a copy is known to be in
// place when its directory is fsynced) for the next write. A waiting lock
// call cancels cancel, so a read that waits for the writer fails the test
// instead of hanging.
func pauseWrites(b *Backend, hold []int, cancel context.CancelFunc) *pausedWrite {
	p := &pausedWrite{
		started: make(chan int, len(b.LocalOSDs())),
		placed:  make(chan int, 4*len(b.LocalOSDs())),
		release: make(chan struct{}),
	}
	b.LocalMeta().locks.waiting = func(int) {
		p.waited.Add(1)
		cancel()
	}
	for i, o := range b.LocalOSDs() {
		held := slices.Contains(hold, i)
		var first atomic.Bool
		o.fault = func(op string) error {
			if op != "write" {
				return nil
			}
			p.writes.Add(1)
			if held && first.CompareAndSwap(false, true) {
				p.started <- i
				<-p.release
			}
			return nil
		}
		if !held {
			real := o.dirs.sync
			o.dirs.sync = func(dir string) error {
				err := real(dir)
				select {
				case p.placed <- i:
				default:
				}
				return err
			}
		}
	}
	return p
}

// midway waits until the held OSDs' writes have started and the others'
// copies are in place.
func (p *pausedWrite) midway(held, free int) {
	for range held {
		<-p.started
	}
	for range free {
		<-p.placed
	}
}

// copyImages returns every replica's copy image of (ns, key).
func copyImages(t *testing.T, b *Backend, ns, key string) [][]byte {
	t.Helper()
	imgs := make([][]byte, len(b.LocalOSDs()))
	for i := range imgs {
		img, err := os.ReadFile(metaFile(b, i, ns, key))
		if err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
		imgs[i] = img
	}
	return imgs
}

// staleCopy writes ns/k twice ("v1", then "v2") and puts copy i back to
// its first image, as if its OSD had missed the second write. It returns
// copy i's stale image and the one every copy should hold once repaired.
func staleCopy(t *testing.T, b *Backend, i int) (stale, good []byte) {
	t.Helper()
	m := b.Meta()
	if _, err := m.Put(t.Context(), "ns", "k", []byte("v1"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	old := copyImages(t, b, "ns", "k")
	if _, err := m.Put(t.Context(), "ns", "k", []byte("v2"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	good = copyImages(t, b, "ns", "k")[0]
	if err := os.WriteFile(metaFile(b, i, "ns", "k"), old[i], 0o600); err != nil {
		t.Fatal(err)
	}
	return old[i], good
}

// TestReadDuringWriteNeitherWaitsNorWrites: a Get that meets a Put of its
// key half done (three copies new, three old, the writer holding the
// key's lock) answers with the new value at once, without waiting for the
// writer and without rewriting the copies the writer has yet to write.
func TestReadDuringWriteNeitherWaitsNorWrites(t *testing.T) {
	b := openTest(t, Options{})
	m := b.Meta()
	if _, err := m.Put(t.Context(), "ns", "k", []byte("v1"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	old := copyImages(t, b, "ns", "k")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hold := []int{0, 2, 4}
	p := pauseWrites(b, hold, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := m.Put(t.Context(), "ns", "k", []byte("v2"), storage.Cond{})
		done <- err
	}()
	p.midway(3, 3)

	got, _, err := m.Get(ctx, "ns", "k")
	if err != nil || string(got) != "v2" {
		t.Errorf("Get during the write = %q, %v; want v2", got, err)
	}
	if n := p.waited.Load(); n != 0 {
		t.Errorf("the read waited %d times for the writer's lock", n)
	}
	if n := p.writes.Load(); n != 6 {
		t.Errorf("%d copy writes during the read, want the writer's 6 only", n)
	}
	for _, i := range hold {
		if img, err := os.ReadFile(metaFile(b, i, "ns", "k")); err != nil || !bytes.Equal(img, old[i]) {
			t.Errorf("copy %d changed under the writer's lock (%v)", i, err)
		}
	}

	close(p.release)
	if err := <-done; err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, _, err := m.Get(t.Context(), "ns", "k"); err != nil || string(got) != "v2" {
		t.Fatalf("Get after the write = %q, %v", got, err)
	}
	imgs := copyImages(t, b, "ns", "k")
	for i, img := range imgs {
		if !bytes.Equal(img, imgs[1]) {
			t.Errorf("copy %d differs from copy 1 after the write", i)
		}
	}
	if n := p.writes.Load(); n != 6 {
		t.Errorf("%d copy writes in all, want 6: the writer made the copies agree", n)
	}
}

// TestListDuringDeleteNeitherWaitsNorPrunes: a List that meets a Delete
// half done skips the key (the tombstones are newer) without waiting for
// the writer, rewriting copies or pruning index entries; the next List,
// with the key free, prunes them.
func TestListDuringDeleteNeitherWaitsNorPrunes(t *testing.T) {
	b := openTest(t, Options{})
	m := b.Meta()
	for _, k := range []string{"a", "k"} {
		if _, err := m.Put(t.Context(), "ns", k, []byte("v-"+k), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	old := copyImages(t, b, "ns", "k")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hold := []int{0, 2, 4}
	p := pauseWrites(b, hold, cancel)
	done := make(chan error, 1)
	go func() { done <- m.Delete(t.Context(), "ns", "k", storage.Cond{}) }()
	p.midway(3, 3)

	es, err := m.List(ctx, "ns", "", "", 10)
	if err != nil || len(es) != 1 || es[0].Key != "a" {
		t.Errorf("List during the delete = %v, %v; want a alone", es, err)
	}
	if n := p.waited.Load(); n != 0 {
		t.Errorf("the listing waited %d times for the writer's lock", n)
	}
	if n := p.writes.Load(); n != 6 {
		t.Errorf("%d copy writes during the listing, want the writer's 6 only", n)
	}
	for i, o := range b.LocalOSDs() {
		if !slices.Contains(indexKeys(t, o, "ns"), "k") {
			t.Errorf("replica %d's index entry pruned under the writer's lock", i)
		}
		if slices.Contains(hold, i) {
			if img, err := os.ReadFile(metaFile(b, i, "ns", "k")); err != nil || !bytes.Equal(img, old[i]) {
				t.Errorf("copy %d changed under the writer's lock (%v)", i, err)
			}
		}
	}

	close(p.release)
	if err := <-done; err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if es, err := m.List(t.Context(), "ns", "", "", 10); err != nil || len(es) != 1 || es[0].Key != "a" {
		t.Fatalf("List after the delete = %v, %v", es, err)
	}
	for i, o := range b.LocalOSDs() {
		if slices.Contains(indexKeys(t, o, "ns"), "k") {
			t.Errorf("replica %d's index entry of the deleted key not pruned once the key was free", i)
		}
	}
	if _, _, err := m.Get(t.Context(), "ns", "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get after the delete: %v", err)
	}
}

// TestStaleCopyRepairedWhenKeyFree: a read that finds an older (valid)
// copy while no writer holds the key rewrites that copy, and only it,
// from the winner.
func TestStaleCopyRepairedWhenKeyFree(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.Meta()
	ctx := t.Context()
	_, good := staleCopy(t, b, 1) // copy 1 missed the second write (its OSD was away for it)
	p := pauseWrites(b, nil, func() {})
	if got, _, err := m.Get(ctx, "ns", "k"); err != nil || string(got) != "v2" {
		t.Fatalf("Get over a stale copy = %q, %v; want v2", got, err)
	}
	if n := p.writes.Load(); n != 1 {
		t.Errorf("%d copy writes by the read, want 1", n)
	}
	if n := p.waited.Load(); n != 0 {
		t.Errorf("the read waited %d times for a lock nobody held", n)
	}
	for i, img := range copyImages(t, b, "ns", "k") {
		if !bytes.Equal(img, good) {
			t.Errorf("copy %d after the read-repair is not the winner", i)
		}
	}
}

// TestStaleCopyKeptUntilStripeFree: a read that finds a stale copy while
// another key of the same lock stripe is being written repairs nothing
// (it cannot tell that writer from one of its own key); the first read
// after the stripe is free does.
func TestStaleCopyKeptUntilStripeFree(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.LocalMeta()
	ctx := t.Context()
	stale, good := staleCopy(t, b, 0)
	// Holding the stripe as a writer does; this goroutine would wait for
	// itself forever if the read took the lock.
	unlock, err := m.locks.lock(ctx, stripeOf(escapeName("ns"), escapeName("k")))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := pauseWrites(b, nil, cancel)
	if got, _, err := m.Get(rctx, "ns", "k"); err != nil || string(got) != "v2" {
		t.Errorf("Get with the stripe held = %q, %v; want v2", got, err)
	}
	if img, _ := os.ReadFile(metaFile(b, 0, "ns", "k")); !bytes.Equal(img, stale) || p.writes.Load() != 0 {
		t.Errorf("stale copy rewritten under another writer's lock (%d writes)", p.writes.Load())
	}
	unlock()
	if got, _, err := m.Get(ctx, "ns", "k"); err != nil || string(got) != "v2" {
		t.Fatalf("Get with the stripe free = %q, %v; want v2", got, err)
	}
	if img, _ := os.ReadFile(metaFile(b, 0, "ns", "k")); !bytes.Equal(img, good) || p.writes.Load() != 1 {
		t.Errorf("stale copy not repaired once the stripe was free (%d writes)", p.writes.Load())
	}
	if n := p.waited.Load(); n != 0 {
		t.Errorf("a read waited %d times for the stripe", n)
	}
}

// TestTryLock: tryLock fails at once while this process (another
// goroutine) or another process (another open lock file, as a second
// Backend on the same directory has) holds the stripe, and takes it once
// free; a lock call that must wait tells the test hook.
func TestTryLock(t *testing.T) {
	dir := t.TempDir()
	a, b := newStripeLocks(dir), newStripeLocks(dir)
	defer a.closeAll()
	defer b.closeAll()
	const i = 7
	unlock, err := a.lock(t.Context(), i)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.tryLock(i); ok || err != nil {
		t.Fatalf("tryLock in the holder's process = %v, %v; want busy", ok, err)
	}
	if _, ok, err := b.tryLock(i); ok || err != nil {
		t.Fatalf("tryLock from another lock file = %v, %v; want busy", ok, err)
	}
	if u, ok, err := b.tryLock(i + 1); !ok || err != nil {
		t.Fatalf("tryLock of a free stripe = %v, %v", ok, err)
	} else {
		u()
	}
	ctx, cancel := context.WithCancel(t.Context())
	waits := 0
	b.waiting = func(int) { waits++; cancel() }
	if _, err := b.lock(ctx, i); !errors.Is(err, storage.ErrUnavailable) || waits != 1 {
		t.Fatalf("lock of a held stripe with the hook cancelling = %v after %d waits", err, waits)
	}
	unlock()
	u, ok, err := b.tryLock(i)
	if !ok || err != nil {
		t.Fatalf("tryLock once free = %v, %v", ok, err)
	}
	if _, ok, _ := a.tryLock(i); ok {
		t.Fatal("tryLock took a stripe another lock file holds")
	}
	u()
}
