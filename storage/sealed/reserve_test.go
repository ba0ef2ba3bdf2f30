package sealed_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// countingMeta counts the writes the sealed layer makes to index blocks
// (stored namespaces starting with 'x') and to records ('m').
type countingMeta struct {
	storage.Meta
	index, records, indexReads atomic.Int64
}

func (c *countingMeta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if ns[0] == 'x' {
		c.indexReads.Add(1)
	}
	return c.Meta.Get(ctx, ns, key)
}

func (c *countingMeta) Put(ctx context.Context, ns, key string, v []byte, cond storage.Cond) (storage.Version, error) {
	switch ns[0] {
	case 'x':
		c.index.Add(1)
	case 'm':
		c.records.Add(1)
	}
	return c.Meta.Put(ctx, ns, key, v, cond)
}

// A reserved key is indexed by Reserve, so its Put writes only the record;
// a Put without a reservation still indexes first; a reservation pruned by
// a concurrent delete is repaired by Put's check; an abandoned one is
// never listed.
func TestReserveIndexesAheadOfPut(t *testing.T) {
	ctx := t.Context()
	raw := openLocal(t, t.TempDir())
	defer raw.Close()
	cm := &countingMeta{Meta: raw.Meta()}
	k, _, _ := testKey(3)(ctx, "")
	m, err := sealed.New(cm, sealed.Options{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string) {
		t.Helper()
		if _, err := m.Put(ctx, "ns", key, []byte(key), storage.Cond{IfAbsent: true}); err != nil {
			t.Fatal(err)
		}
	}
	put("k0") // creates the head leaf
	writes := func() (int64, int64) { return cm.index.Load(), cm.records.Load() }

	i0, r0 := writes()
	release, err := m.Reserve(ctx, "ns", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if i, r := writes(); i != i0+1 || r != r0 {
		t.Fatalf("Reserve wrote %d index blocks and %d records, want 1 and 0", i-i0, r-r0)
	}
	g0 := cm.indexReads.Load()
	put("k1")
	if i, r := writes(); i != i0+1 || r != r0+1 {
		t.Fatalf("Put of a reserved key wrote %d index blocks and %d records, want 0 and 1", i-i0-1, r-r0)
	}
	// Only the check after the record write reads the index.
	if g := cm.indexReads.Load() - g0; g != 1 {
		t.Fatalf("Put of a reserved key read %d index blocks, want 1", g)
	}
	release()
	release() // idempotent

	i0, _ = writes()
	g0 = cm.indexReads.Load()
	put("k2")
	if i, _ := writes(); i != i0+1 {
		t.Fatalf("Put without a reservation wrote %d index blocks, want 1", i-i0)
	}
	if g := cm.indexReads.Load() - g0; g != 2 {
		t.Fatalf("Put without a reservation read %d index blocks, want 2", g)
	}

	// A concurrent delete prunes the reserved entry before the record lands.
	rel3, err := m.Reserve(ctx, "ns", "k3")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "ns", "k3", storage.Cond{}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Delete of the reserved key: %v", err)
	}
	put("k3")
	rel3()

	rel4, err := m.Reserve(ctx, "ns", "k4")
	if err != nil {
		t.Fatal(err)
	}
	rel4() // abandoned: no record follows

	if got := listAll(t, m, "ns", "", 2); !slices.Equal(got, []string{"k0", "k1", "k2", "k3"}) {
		t.Fatalf("listed %q", got)
	}
	if _, err := m.Reserve(ctx, "ns", ""); !errors.Is(err, storage.ErrInvalid) {
		t.Fatalf("Reserve of an empty key: %v", err)
	}
}
