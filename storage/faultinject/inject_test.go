package faultinject

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

func newBackend(t *testing.T) *Backend {
	t.Helper()
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever})
	if err != nil {
		t.Fatal(err)
	}
	w := Wrap(b)
	t.Cleanup(func() { w.Close() })
	return w
}

func writeShard(ctx context.Context, o storage.OSD, name string, data []byte) error {
	w, err := o.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Abort()
		return err
	}
	return w.Commit()
}

func readShard(ctx context.Context, o storage.OSD, name string) ([]byte, error) {
	r, err := o.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, r.Size())
	_, err = r.ReadAt(b, 0)
	if err == io.EOF {
		err = nil
	}
	return b, err
}

func TestErrorsCountsAndTimes(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t)
	o := b.FaultOSDs()[0]
	o.Set(OpCreate, Rule{Kind: ENOSPC, Skip: 1, Times: 2})
	if err := writeShard(ctx, o, "a.0", []byte("x")); err != nil {
		t.Fatalf("skipped call faulted: %v", err)
	}
	for range 2 {
		err := writeShard(ctx, o, "b.0", []byte("x"))
		if !errors.Is(err, syscall.ENOSPC) || !IsInjected(err) {
			t.Fatalf("want injected ENOSPC, got %v", err)
		}
	}
	if err := writeShard(ctx, o, "c.0", []byte("x")); err != nil {
		t.Fatalf("rule did not clear after Times: %v", err)
	}
	if got, calls := o.Injected(OpCreate), o.Calls(OpCreate); got != 2 || calls != 4 {
		t.Fatalf("injected %d of %d calls, want 2 of 4", got, calls)
	}
	o.Set(OpRead, Rule{Kind: EIO})
	if _, err := readShard(ctx, o, "a.0"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("read: want EIO, got %v", err)
	}
	o.Set(OpOpen, Rule{Kind: Down})
	if _, err := readShard(ctx, o, "a.0"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("open: want ErrUnavailable, got %v", err)
	}
	if b.Injected() != 4 {
		t.Fatalf("backend counts %d faults, want 4", b.Injected())
	}
	b.ClearAll()
	if got, err := readShard(ctx, o, "a.0"); err != nil || string(got) != "x" {
		t.Fatalf("after ClearAll: %q, %v", got, err)
	}
}

func TestDropAndHang(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t)
	o := b.FaultOSDs()[1]
	o.Set(OpCommit, Rule{Kind: Drop, Times: 1})
	if err := writeShard(ctx, o, "d.1", []byte("lost")); err != nil {
		t.Fatalf("dropped commit must report success: %v", err)
	}
	if _, err := readShard(ctx, o, "d.1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("dropped shard readable: %v", err)
	}
	if err := writeShard(ctx, o, "h.1", []byte("hung")); err != nil {
		t.Fatal(err)
	}
	o.Set(OpRead, Rule{Kind: Hang})
	done := make(chan error, 1)
	go func() { _, err := readShard(ctx, o, "h.1"); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("hung read returned %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	o.Clear(OpRead)
	o.Release()
	if err := <-done; err != nil {
		t.Fatalf("released read: %v", err)
	}
	m := b.FaultMeta()
	m.Set(OpMetaPut, Rule{Kind: Drop, Times: 1})
	if _, err := m.Put(ctx, "ns", "k", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Get(ctx, "ns", "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("dropped meta put stored: %v", err)
	}
	hctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	m.Set(OpMetaGet, Rule{Kind: Hang})
	if _, _, err := m.Get(hctx, "ns", "k"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("hung meta get with a deadline: %v", err)
	}
}

// TestWaitIdle: WaitIdle reports calls still held by a Hang rule and
// returns once they are released.
func TestWaitIdle(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t)
	o := b.FaultOSDs()[2]
	if err := writeShard(ctx, o, "w.1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatalf("idle backend: %v", err)
	}
	o.Set(OpRead, Rule{Kind: Hang})
	done := make(chan error, 1)
	go func() { _, err := readShard(ctx, o, "w.1"); done <- err }()
	for o.Waiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := b.WaitIdle(short); err == nil {
		t.Fatal("WaitIdle returned while a read was hung")
	}
	b.ClearAll()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatalf("after ClearAll: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("released read: %v", err)
	}
}
