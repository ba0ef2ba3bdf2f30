package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// lockStripes is the number of lock files. A write locks the stripe of its
// (namespace, key), so writes to different keys rarely wait on each other
// while every read-modify-write of one key is serialised across goroutines
// and processes.
const lockStripes = 256

// stripeLocks serialises Meta writes. Inside a process a one-slot channel
// per stripe admits one goroutine (and honours ctx while waiting); across
// processes that goroutine then takes flock(2) on the stripe's lock file.
// flock is tied to the open file description, so two Backends in one
// process exclude each other just like two processes do.
type stripeLocks struct {
	dir    string
	slots  [lockStripes]chan struct{}
	mu     sync.Mutex // guards files and closed
	files  [lockStripes]*os.File
	closed bool
	// waiting, when set (tests only), is called when lock finds stripe i
	// held and is about to wait for it.
	waiting func(i int)
}

func newStripeLocks(dir string) *stripeLocks {
	l := &stripeLocks{dir: dir}
	for i := range l.slots {
		l.slots[i] = make(chan struct{}, 1)
	}
	return l
}

// stripeOf picks the stripe of (ns, key) with FNV-1a. Meta passes the
// escaped file names (a one-to-one mapping), which Scrub can recover from
// the directories even for hash-named namespaces.
func stripeOf(ns, key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(ns); i++ {
		h = (h ^ uint32(ns[i])) * 16777619
	}
	h = (h ^ 0xff) * 16777619
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % lockStripes)
}

// lock takes stripe i, waiting at most until ctx ends. While another
// process holds the flock it polls with a short, growing back-off: a
// blocking flock could not be abandoned when ctx ends.
func (l *stripeLocks) lock(ctx context.Context, i int) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local: meta lock: %w (%w)", storage.ErrUnavailable, err)
	}
	select {
	case l.slots[i] <- struct{}{}:
	default:
		l.wait(i)
		select {
		case l.slots[i] <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("local: meta lock: %w (%w)", storage.ErrUnavailable, ctx.Err())
		}
	}
	f, err := l.file(i)
	if err != nil {
		<-l.slots[i]
		return nil, err
	}
	fd := int(f.Fd())
	wait := 20 * time.Microsecond
	for polls := 0; ; polls++ {
		ok, err := flockTry(fd, i)
		if err != nil {
			<-l.slots[i]
			return nil, err
		}
		if ok {
			break
		}
		if polls == 0 {
			l.wait(i)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-l.slots[i]
			return nil, fmt.Errorf("local: meta lock: %w (%w)", storage.ErrUnavailable, ctx.Err())
		}
		wait = min(2*wait, 2*time.Millisecond)
	}
	return l.release(fd, i), nil
}

// tryLock takes stripe i only if neither another goroutine of this
// process nor another process holds it now; ok reports whether it did. It
// never waits: it is for work that may be skipped while the stripe is busy
// (read-repair, index pruning), never for a write a caller asked for.
func (l *stripeLocks) tryLock(i int) (unlock func(), ok bool, err error) {
	select {
	case l.slots[i] <- struct{}{}:
	default:
		return nil, false, nil
	}
	f, err := l.file(i)
	if err != nil {
		<-l.slots[i]
		return nil, false, err
	}
	fd := int(f.Fd())
	if ok, err := flockTry(fd, i); err != nil || !ok {
		<-l.slots[i]
		return nil, false, err
	}
	return l.release(fd, i), true, nil
}

// flockTry takes the exclusive flock of stripe i's lock file fd without
// waiting; ok is false while another open file description holds it.
func flockTry(fd, i int) (ok bool, err error) {
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, fmt.Errorf("local: meta lock %d: %w", i, err)
	}
}

// release returns the unlock function of stripe i, held through fd.
func (l *stripeLocks) release(fd, i int) func() {
	return func() {
		// Unlocking an flock we hold cannot fail in a way we could act on;
		// closing the descriptor would release it anyway.
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		<-l.slots[i]
	}
}

// wait tells the test hook, if any, that a lock call waits for stripe i.
func (l *stripeLocks) wait(i int) {
	if l.waiting != nil {
		l.waiting(i)
	}
}

// file opens stripe i's lock file on first use and keeps it open.
func (l *stripeLocks) file(i int) (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("local: meta: %w", os.ErrClosed)
	}
	if f := l.files[i]; f != nil {
		return f, nil
	}
	f, err := os.OpenFile(filepath.Join(l.dir, fmt.Sprintf("%02x", i)), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("local: meta lock file: %w", err)
	}
	l.files[i] = f
	return f, nil
}

// closeAll closes every lock file; later lock calls fail.
func (l *stripeLocks) closeAll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	var errs []error
	for i, f := range l.files {
		if f != nil {
			errs = append(errs, f.Close())
			l.files[i] = nil
		}
	}
	return errors.Join(errs...)
}
