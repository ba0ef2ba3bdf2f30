package object

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
)

// crashRun runs op on a Store whose Meta "dies" at its i-th mutation from
// now on (every later write fails, as after kill -9), for i = 1, 2, ...
// until op gets through; after each crash check gets a fresh Store on the
// same backend (a restarted gateway). It returns how many crash points it
// tried.
func crashRun(t *testing.T, setup func(e *testEnv, clean *Store) any, op func(s *Store, st any) error, check func(e *testEnv, clean *Store, st any, crashed bool)) int {
	t.Helper()
	for i := 1; i < 200; i++ {
		f := &faults{}
		e := newEnv(t, withFaults(f), withWalker)
		clean := e.open(withWalker)
		smallParts(clean)
		smallParts(e.s)
		st := setup(e, clean)
		f.mu.Lock()
		f.crashAt = f.mutations + i
		f.mu.Unlock()
		err := op(e.s, st)
		f.mu.Lock()
		crashed := f.mutations >= f.crashAt
		f.mu.Unlock()
		if err != nil && !crashed {
			t.Fatalf("crash point %d: op failed without a crash: %v", i, err)
		}
		check(e, clean, st, crashed)
		if !crashed {
			return i
		}
	}
	t.Fatal("op never completed")
	return 0
}

// wantNoGarbage runs every GC and fails unless exactly live bytes of
// shards remain.
func wantNoGarbage(t *testing.T, e *testEnv, s *Store, liveShards int) {
	t.Helper()
	gcAll(t, s)
	if got := len(e.shardFiles()); got != liveShards {
		t.Fatalf("%d shard files after GC, want %d", got, liveShards)
	}
}

type mpState struct {
	id    string
	parts []CompletePart
	data  []byte
}

// mpSetup makes an upload of three parts (plus an unlisted fourth) and an
// older object at the same key.
func mpSetup(e *testEnv, clean *Store) any {
	ctx := context.Background()
	if err := clean.CreateBucket(ctx, "crash", "alice", ""); err != nil {
		e.t.Fatal(err)
	}
	put(e.t, clean, "crash", "k", randBytes(40, 3000))
	up, err := clean.CreateMultipartUpload(ctx, "crash", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		e.t.Fatal(err)
	}
	st := &mpState{id: up.UploadID}
	for n := 1; n <= 4; n++ {
		d := randBytes(uint64(n), 2000+n)
		p := uploadPart(e.t, clean, "crash", "k", up.UploadID, n, d)
		if n < 4 {
			st.parts = append(st.parts, CompletePart{PartNumber: n, ETag: p.ETag})
			st.data = append(st.data, d...)
		}
	}
	return st
}

// TestCrashDuringComplete: a Complete killed at any metadata write is
// finished by a retry with the same parts on a restarted gateway; the
// object then reads back, and GC leaves only its shards.
func TestCrashDuringComplete(t *testing.T) {
	ctx := context.Background()
	n := crashRun(t, mpSetup, func(s *Store, st any) error {
		m := st.(*mpState)
		_, err := s.CompleteMultipartUpload(ctx, "crash", "k", m.id, m.parts, CompleteOptions{})
		return err
	}, func(e *testEnv, clean *Store, st any, crashed bool) {
		m := st.(*mpState)
		info, err := clean.CompleteMultipartUpload(ctx, "crash", "k", m.id, m.parts, CompleteOptions{})
		if err != nil {
			t.Fatalf("retried complete (crashed %v): %v", crashed, err)
		}
		if info.PartsCount != 3 {
			t.Fatalf("retried complete: %+v", info)
		}
		if got := mustRead(t, clean, "crash", "k"); !bytes.Equal(got, m.data) {
			t.Fatal("completed object reads other bytes")
		}
		wantNoGarbage(t, e, clean, 3*6)
		if err := clean.AbortMultipartUpload(ctx, "crash", "k", m.id); !errors.Is(err, ErrNoSuchUpload) {
			t.Fatalf("abort after complete: %v", err)
		}
	})
	if n < 5 {
		t.Fatalf("only %d crash points: the test does not reach the commit", n)
	}
}

// TestCrashDuringAbort: an Abort killed at any metadata write is finished
// by a retry right after the restart, and GC then leaves only the older
// object.
func TestCrashDuringAbort(t *testing.T) {
	ctx := context.Background()
	crashRun(t, mpSetup, func(s *Store, st any) error {
		return s.AbortMultipartUpload(ctx, "crash", "k", st.(*mpState).id)
	}, func(e *testEnv, clean *Store, st any, crashed bool) {
		err := clean.AbortMultipartUpload(ctx, "crash", "k", st.(*mpState).id)
		if err != nil && !(errors.Is(err, ErrNoSuchUpload) && !crashed) {
			t.Fatalf("retried abort (crashed %v): %v", crashed, err)
		}
		if _, _, err := clean.meta.Get(ctx, nsUploads("crash"), uploadKey("k", st.(*mpState).id)); err == nil {
			t.Fatal("upload record survived the abort")
		}
		mustRead(t, clean, "crash", "k")
		wantNoGarbage(t, e, clean, 6)
	})
}

// TestCrashDuringOverwriteAndDelete: a PUT over an object and a DELETE,
// killed at any metadata write: the key holds the old or the new object
// (never neither after an acknowledged PUT), and GC leaves exactly the
// shards of what is visible.
func TestCrashDuringOverwriteAndDelete(t *testing.T) {
	ctx := context.Background()
	newData := randBytes(77, 5000)
	crashRun(t, func(e *testEnv, clean *Store) any {
		if err := clean.CreateBucket(ctx, "crash", "alice", ""); err != nil {
			t.Fatal(err)
		}
		put(t, clean, "crash", "k", randBytes(40, 3000))
		put(t, clean, "crash", "gone", randBytes(41, 3000))
		return nil
	}, func(s *Store, _ any) error {
		if _, err := s.PutObject(ctx, PutInput{Bucket: "crash", Key: "k", Body: bytes.NewReader(newData), Size: int64(len(newData))}); err != nil {
			return err
		}
		return s.DeleteObject(ctx, "crash", "gone")
	}, func(e *testEnv, clean *Store, _ any, crashed bool) {
		got := mustRead(t, clean, "crash", "k")
		if !crashed && !bytes.Equal(got, newData) {
			t.Fatal("acknowledged overwrite lost")
		}
		if err := clean.DeleteObject(ctx, "crash", "gone"); err != nil {
			t.Fatal(err)
		}
		wantNoGarbage(t, e, clean, 6)
		if again := mustRead(t, clean, "crash", "k"); !slices.Equal(again, got) {
			t.Fatal("GC changed a visible object")
		}
	})
}
