package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// runDurability checks what heal, GC and DeleteObjects rely on: deletes
// that stay deleted, concurrent deletes in one namespace, health of a fresh
// backend, and (for backends that offer them) Walk and SweepTemp.
func runDurability(t *testing.T, open func(*testing.T) *fixture) {
	t.Run("DeleteRecreate", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		v1 := put(t, m, ns, "k", []byte("one"), storage.Cond{})
		if err := m.Delete(t.Context(), ns, "k", storage.Cond{}); err != nil {
			t.Fatal(err)
		}
		wantMissing(t, m, ns, "k")
		wantErr(t, m.Delete(t.Context(), ns, "k", storage.Cond{}), storage.ErrNotFound, "second Delete")
		es, err := m.List(t.Context(), ns, "", "", 10)
		if err != nil || len(es) != 0 {
			t.Fatalf("List after Delete = %v, %v", entryKeys(es), err)
		}
		_, err = m.Put(t.Context(), ns, "k", []byte("x"), storage.Cond{IfVersion: v1})
		wantErr(t, err, storage.ErrPrecondition, "IfVersion of a deleted key")
		v2 := put(t, m, ns, "k", []byte("two"), storage.Cond{IfAbsent: true})
		if v2 == v1 {
			t.Fatalf("re-created key reuses version %d", v1)
		}
		checkGet(t, m, ns, "k", []byte("two"), v2)
	})

	t.Run("ConcurrentDeletesInOneNamespace", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("batch")
		const keys, workers = 48, 8
		for i := range keys {
			put(t, m, ns, fmt.Sprintf("k%03d", i), []byte("v"), storage.Cond{})
		}
		var wg sync.WaitGroup
		errs := make(chan error, keys)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < keys; i += workers {
					if err := m.Delete(t.Context(), ns, fmt.Sprintf("k%03d", i), storage.Cond{}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent Delete: %v", err)
		}
		es, err := m.List(t.Context(), ns, "", "", keys)
		if err != nil || len(es) != 0 {
			t.Fatalf("List after deleting everything = %d entries, %v", len(es), err)
		}
		put(t, m, ns, "again", nil, storage.Cond{IfAbsent: true})
	})

	t.Run("FreshBackendHealthy", func(t *testing.T) {
		f := open(t)
		for _, o := range f.b.OSDs() {
			if !storage.Healthy(o) {
				t.Errorf("OSD %s unhealthy on a fresh backend", o.ID())
			}
		}
	})

	t.Run("Walk", func(t *testing.T) {
		f := open(t)
		o := f.b.OSDs()[0]
		wk, ok := o.(storage.Walker)
		if !ok {
			t.Skip("OSD does not implement storage.Walker")
		}
		a, b, gone, pending := shardName(0), shardName(0), shardName(0), shardName(0)
		commitShard(t, o, a, pattern(1, 1000))
		commitShard(t, o, b, nil)
		commitShard(t, o, gone, pattern(2, 10))
		if err := o.Remove(t.Context(), gone); err != nil {
			t.Fatal(err)
		}
		w, err := o.Create(t.Context(), pending)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		writeAll(t, w, pattern(3, 100))
		got := map[string]int64{}
		err = wk.Walk(t.Context(), func(name string, size int64, mod time.Time) error {
			if mod.IsZero() {
				t.Errorf("Walk %s: zero modification time", name)
			}
			got[name] = size
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got[a] != 1000 {
			t.Errorf("Walk: %s size %d, want 1000", a, got[a])
		}
		if s, ok := got[b]; !ok || s != 0 {
			t.Errorf("Walk: empty shard %s: %d, %v", b, s, ok)
		}
		for _, n := range []string{gone, pending} {
			if _, ok := got[n]; ok {
				t.Errorf("Walk reported %s (removed or uncommitted)", n)
			}
		}
		stop := errors.New("stop")
		if err := wk.Walk(t.Context(), func(string, int64, time.Time) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("Walk did not return fn's error: %v", err)
		}
	})

	t.Run("SweepTempKeepsCommitted", func(t *testing.T) {
		f := open(t)
		sw, ok := f.b.(storage.TempSweeper)
		if !ok {
			t.Skip("backend does not implement storage.TempSweeper")
		}
		o := f.b.OSDs()[0]
		name := shardName(0)
		commitShard(t, o, name, pattern(4, 64))
		m, ns := f.b.Meta(), f.name("ns")
		v := put(t, m, ns, "k", []byte("v"), storage.Cond{})
		if _, _, err := sw.SweepTemp(t.Context(), time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		checkShard(t, o, name, pattern(4, 64))
		checkGet(t, m, ns, "k", []byte("v"), v)
	})
}
