package sealed

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// storedUnder returns the stored keys of the wrapped store's namespace sns.
func (s *memStore) storedUnder(sns string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		if n, key, _ := strings.Cut(k, "\x00"); n == sns {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// hookStore runs beforeDelete (once) ahead of the wrapped store's Delete of
// a namespace's head leaf: a writer racing DropEmptyIndex.
type hookStore struct {
	*memStore
	ixns         string
	beforeDelete func()
}

func (h *hookStore) Delete(ctx context.Context, ns, key string, c storage.Cond) error {
	if ns == h.ixns && key == headID && h.beforeDelete != nil {
		f := h.beforeDelete
		h.beforeDelete = nil
		f()
	}
	return h.memStore.Delete(ctx, ns, key, c)
}

func newDropMeta(t *testing.T) (*Meta, *hookStore) {
	t.Helper()
	s := &hookStore{memStore: newMemStore()}
	m, err := New(s, Options{Key: testIndexKey()})
	if err != nil {
		t.Fatal(err)
	}
	s.ixns = m.c.indexNS("ns")
	return m, s
}

// A namespace whose keys were all deleted keeps its empty head leaf; the
// drop removes it, and the namespace then works as one never written.
func TestDropEmptyIndexLeavesNothing(t *testing.T) {
	ctx := t.Context()
	m, s := newDropMeta(t)
	for _, k := range []string{"a", "b", "c"} {
		if _, err := m.Put(ctx, "ns", k, []byte("v"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := m.DropEmptyIndex(ctx, "ns"); ok || err != nil {
		t.Fatalf("drop with live keys: %v, %v", ok, err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if err := m.Delete(ctx, "ns", k, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	ixns, hns := m.c.indexNS("ns"), m.c.recordNS("ns")
	if got := s.storedUnder(ixns); !slices.Equal(got, []string{headID}) {
		t.Fatalf("index blocks after deleting every key: %q, want the head leaf only", got)
	}
	if ok, err := m.DropEmptyIndex(ctx, "ns"); !ok || err != nil {
		t.Fatalf("drop of an empty index: %v, %v", ok, err)
	}
	if got := append(s.storedUnder(ixns), s.storedUnder(hns)...); len(got) != 0 {
		t.Fatalf("stored after the drop: %q", got)
	}
	if ok, err := m.DropEmptyIndex(ctx, "ns"); ok || err != nil {
		t.Fatalf("drop of no index: %v, %v", ok, err)
	}
	if got := listKeys(t, m, "ns", 10); len(got) != 0 {
		t.Fatalf("listed after the drop: %q", got)
	}
	if _, err := m.Put(ctx, "ns", "d", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if got := listKeys(t, m, "ns", 10); !slices.Equal(got, []string{"d"}) {
		t.Fatalf("listed after a Put into the dropped namespace: %q", got)
	}
}

// An entry without a record (an abandoned reservation) does not keep the
// index; a split index is left as it is.
func TestDropEmptyIndexStaleEntryAndSplit(t *testing.T) {
	ctx := t.Context()
	m, s := newDropMeta(t)
	if _, err := m.Reserve(ctx, "ns", "gone"); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.DropEmptyIndex(ctx, "ns"); !ok || err != nil {
		t.Fatalf("drop of an index of stale entries: %v, %v", ok, err)
	}
	if got := s.storedUnder(m.c.indexNS("ns")); len(got) != 0 {
		t.Fatalf("index blocks after the drop: %q", got)
	}

	seed(t, m, "big", 0, 400) // ~200-byte keys: more than one 32 KiB leaf
	for i := range 400 {
		if err := m.Delete(ctx, "big", longKey(i), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := m.DropEmptyIndex(ctx, "big"); ok || err != nil {
		t.Fatalf("drop of a split index: %v, %v", ok, err)
	}
	if got := s.storedUnder(m.c.indexNS("big")); len(got) < 2 {
		t.Fatalf("split index blocks: %q", got)
	}
}

// A key inserted while the drop runs is never lost from the index: an
// insert that lands first makes the guarded delete fail; a Put of a key
// the head already listed (reserved), which changes no leaf, is indexed
// again after the delete.
func TestDropEmptyIndexRacingWriters(t *testing.T) {
	ctx := t.Context()
	m, s := newDropMeta(t)
	if _, err := m.Put(ctx, "ns", "a", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "ns", "a", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	s.beforeDelete = func() {
		if _, err := m.Put(ctx, "ns", "new", []byte("v"), storage.Cond{}); err != nil {
			t.Error(err)
		}
	}
	if ok, err := m.DropEmptyIndex(ctx, "ns"); ok || err != nil {
		t.Fatalf("drop raced by an insert: %v, %v", ok, err)
	}
	if got := listKeys(t, m, "ns", 10); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("listed after a drop raced by an insert: %q", got)
	}

	m, s = newDropMeta(t)
	release, err := m.Reserve(ctx, "ns", "late")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	s.beforeDelete = func() {
		if _, err := m.Put(ctx, "ns", "late", []byte("v"), storage.Cond{}); err != nil {
			t.Error(err)
		}
	}
	if ok, err := m.DropEmptyIndex(ctx, "ns"); ok || err != nil {
		t.Fatalf("drop raced by a reserved Put: %v, %v", ok, err)
	}
	if got := listKeys(t, m, "ns", 10); !slices.Equal(got, []string{"late"}) {
		t.Fatalf("listed after a drop raced by a reserved Put: %q", got)
	}
}
