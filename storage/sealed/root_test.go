package sealed_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// A namespace with many more leaves than its root can list: the root
// moves its leaves down into guides (a guide is capped at half the root;
// were that not enough, the root would be thinned rather than frozen: see
// TestRootOfGuidesThinned), so a seek anywhere in the key range walks a
// few links, not every leaf split after the root filled up (which is what
// a root that stops taking entries does to keys inserted in order).
func TestFullRootThinnedKeepsSeeksShort(t *testing.T) {
	ctx := t.Context()
	raw := openLocal(t, t.TempDir())
	defer raw.Close()
	cm := &countingMeta{Meta: raw.Meta()} // reserve_test.go
	k, _, _ := testKey(1)(ctx, "")
	m, err := sealed.New(cm, sealed.Options{Key: k, LeafBytes: 1, RootBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	pad := strings.Repeat("x", 80)
	key := func(i int) string { return fmt.Sprintf("k/%06d/%s", i, pad) }
	for i := 0; i < n; i++ { // ascending, as a bulk upload names its keys
		if _, err := m.Put(ctx, "ns", key(i), []byte{1}, storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	// Every key is listed, in order.
	got, after := 0, ""
	for {
		es, err := m.List(ctx, "ns", "", after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if e.Key != key(got) {
				t.Fatalf("entry %d = %q, want %q", got, e.Key, key(got))
			}
			got++
		}
		after = es[len(es)-1].Key
	}
	if got != n {
		t.Fatalf("listed %d keys, want %d", got, n)
	}
	// Seeks into the last third (leaves split after a frozen root would
	// have stopped listing them) read a few leaves each.
	before := cm.indexReads.Load()
	const seeks = 100
	for i := 0; i < seeks; i++ {
		k := key(2*n/3 + i*(n/3)/seeks)
		es, err := m.List(ctx, "ns", "", k, 1)
		if err != nil || len(es) != 1 {
			t.Fatalf("seek after %q: %v %v", k, es, err)
		}
	}
	perSeek := float64(cm.indexReads.Load()-before) / seeks
	if perSeek > 6 {
		t.Fatalf("%.1f index reads per one-entry seek, want ≤ 6 (the root and guides are not steering seeks)", perSeek)
	}
	t.Logf("%.1f index reads per seek", perSeek)
}
