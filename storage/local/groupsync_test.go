package local

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// gatedSync is a fake filesystem sync: every call announces itself on
// started and blocks until the test releases it.
type gatedSync struct {
	started chan int
	release chan error
	mu      sync.Mutex
	calls   int
}

func newGatedSync() *gatedSync {
	return &gatedSync{started: make(chan int, 16), release: make(chan error)}
}

func (g *gatedSync) sync() error {
	g.mu.Lock()
	g.calls++
	n := g.calls
	g.mu.Unlock()
	g.started <- n
	return <-g.release
}

// waitBlocked waits until n goroutines wait in g's cond (they are queued).
func waitQueued(t *testing.T, done chan error, d time.Duration) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("Sync returned early (%v)", err)
	case <-time.After(d):
	}
}

// TestSyncGroupWaitsForLaterSync is the crash-safety rule: a caller that
// arrives while a sync runs must not be acknowledged by that sync (it may
// have begun before the caller's writes), only by the next one.
func TestSyncGroupWaitsForLaterSync(t *testing.T) {
	gs := newGatedSync()
	g := newSyncGroup(gs.sync)
	first := make(chan error, 1)
	go func() { first <- g.Sync() }()
	if n := <-gs.started; n != 1 {
		t.Fatalf("sync %d started", n)
	}
	// Three callers arrive while sync 1 runs.
	late := make(chan error, 3)
	for range 3 {
		go func() { late <- g.Sync() }()
	}
	waitQueued(t, late, 20*time.Millisecond)
	gs.release <- nil // sync 1 done
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if n := <-gs.started; n != 2 {
		t.Fatalf("sync %d started, want 2", n)
	}
	waitQueued(t, late, 20*time.Millisecond) // not acknowledged by sync 1
	gs.release <- nil
	for range 3 {
		if err := <-late; err != nil {
			t.Fatal(err)
		}
	}
	if c := g.count(); c != 2 {
		t.Fatalf("4 callers ran %d syncs, want 2 (three shared one)", c)
	}
	select {
	case n := <-gs.started:
		t.Fatalf("unexpected sync %d", n)
	default:
	}
}

func TestSyncGroupError(t *testing.T) {
	gs := newGatedSync()
	g := newSyncGroup(gs.sync)
	done := make(chan error, 1)
	go func() { done <- g.Sync() }()
	<-gs.started
	boom := errors.New("eio")
	gs.release <- boom
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("Sync = %v, want %v", err, boom)
	}
	// The next caller gets a fresh sync and its own (nil) result.
	go func() { done <- g.Sync() }()
	<-gs.started
	gs.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("Sync after a failure = %v", err)
	}
}

// gatedDirSync is a fake directory fsync: every call announces its
// directory on started and blocks until the test releases that directory.
type gatedDirSync struct {
	started chan string
	release map[string]chan error // fixed at creation: read concurrently
}

func newGatedDirSync(dirs ...string) *gatedDirSync {
	g := &gatedDirSync{started: make(chan string, 16), release: make(map[string]chan error)}
	for _, d := range dirs {
		g.release[d] = make(chan error)
	}
	return g
}

func (g *gatedDirSync) sync(dir string) error {
	g.started <- dir
	return <-g.release[dir]
}

// TestDirSyncsShareWaitAndFail: callers of one directory that arrive while
// its fsync runs are not acknowledged by it but share the next one, and
// that fsync's error reaches each of them; another directory's fsync runs
// beside it; entries are dropped once unused.
func TestDirSyncsShareWaitAndFail(t *testing.T) {
	gs := newGatedDirSync("a", "b")
	d := newDirSyncs(gs.sync)
	first := make(chan error, 1)
	go func() { first <- d.Sync("a") }()
	if dir := <-gs.started; dir != "a" {
		t.Fatalf("fsync of %q started", dir)
	}
	late := make(chan error, 3)
	for range 3 {
		go func() { late <- d.Sync("a") }()
	}
	// Another directory does not queue behind "a".
	other := make(chan error, 1)
	go func() { other <- d.Sync("b") }()
	if dir := <-gs.started; dir != "b" {
		t.Fatalf("fsync of %q started, want b", dir)
	}
	gs.release["b"] <- nil
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	waitQueued(t, late, 20*time.Millisecond)
	gs.release["a"] <- nil // a's first fsync
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if dir := <-gs.started; dir != "a" {
		t.Fatalf("fsync of %q started, want a", dir)
	}
	waitQueued(t, late, 20*time.Millisecond) // not acknowledged by the first
	boom := errors.New("eio")
	gs.release["a"] <- boom
	for range 3 {
		if err := <-late; !errors.Is(err, boom) {
			t.Fatalf("waiter of the failed fsync got %v", err)
		}
	}
	select {
	case dir := <-gs.started:
		t.Fatalf("unexpected fsync of %q: three waiters should share one", dir)
	default:
	}
	if n := d.live(); n != 0 {
		t.Fatalf("%d directories still held after every caller left", n)
	}
	// A fresh caller gets a fresh fsync and its own result.
	go func() { first <- d.Sync("a") }()
	<-gs.started
	gs.release["a"] <- nil
	if err := <-first; err != nil {
		t.Fatalf("Sync after a failure = %v", err)
	}
}

// TestDirSyncsConcurrent hammers a few directories from many goroutines
// (run it under -race): every caller returns, no fsync of a directory
// overlaps another of the same directory, and no entry outlives its
// callers. (Sharing itself is TestDirSyncsShareWaitAndFail's: how much
// these callers overlap depends on the scheduler.)
func TestDirSyncsConcurrent(t *testing.T) {
	var mu sync.Mutex
	running := map[string]bool{}
	calls := 0
	d := newDirSyncs(func(dir string) error {
		mu.Lock()
		if running[dir] {
			mu.Unlock()
			return fmt.Errorf("two fsyncs of %s at once", dir)
		}
		running[dir] = true
		calls++
		mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		mu.Lock()
		running[dir] = false
		mu.Unlock()
		return nil
	})
	const workers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- d.Sync(fmt.Sprintf("dir%d", (w+i)%3))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls == 0 || calls > workers*each {
		t.Fatalf("%d fsyncs for %d callers", calls, workers*each)
	}
	if n := d.live(); n != 0 {
		t.Fatalf("%d directories still held", n)
	}
}
