package local

import (
	"errors"
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
