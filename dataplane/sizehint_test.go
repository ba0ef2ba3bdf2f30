package dataplane

import (
	"bytes"
	"context"
	"testing"
)

// TestPutShardSizeHint checks that a Put of known size tells every OSD the
// exact length of the shard it is about to write (so the local backend can
// write large shards O_DIRECT from byte 0), and that a Put of unknown size
// gives no hint.
func TestPutShardSizeHint(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	for _, n := range []int{0, 1, testChunk - 1, 5*testChunk + 3} {
		res := put(t, e, k, randBytes(uint64(n), n))
		for j, id := range res.Layout.OSDs {
			o := b.osd(id)
			name := ShardName(res.Layout.DataID, j)
			o.mu.Lock()
			hint, ok := o.hints[name]
			size := len(o.files[name])
			o.mu.Unlock()
			if !ok || hint != int64(size) {
				t.Fatalf("size %d shard %d: hint %d (given %v), shard is %d bytes", n, j, hint, ok, size)
			}
		}
	}
	res, err := e.Put(context.Background(), PutRequest{Key: k, Body: bytes.NewReader(make([]byte, 1000)), Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	for j, id := range res.Layout.OSDs {
		o := b.osd(id)
		o.mu.Lock()
		_, ok := o.hints[ShardName(res.Layout.DataID, j)]
		o.mu.Unlock()
		if ok {
			t.Fatalf("unknown size: shard %d got a size hint", j)
		}
	}
}

// TestFreshShardHint checks which shard writes may publish their name
// before the shard is durable (storage.FreshShard, the local backend's
// rename-first commit): every shard a Put creates (a fresh random data ID
// that no metadata names before Put returns), and none that Repair
// rewrites (the manifest already names them; the old file must survive a
// crash in the middle of its replacement).
func TestFreshShardHint(t *testing.T) {
	f := newFixture(t, 3*testChunk+5)
	for j, id := range f.l.OSDs {
		o := f.b.osd(id)
		o.mu.Lock()
		fresh, seen := o.fresh[ShardName(f.l.DataID, j)]
		o.mu.Unlock()
		if !seen || !fresh {
			t.Fatalf("Put shard %d: fresh = %v (created %v), want true", j, fresh, seen)
		}
	}
	f.flipPiece(1, 2)
	nl := repairAndCheck(t, f.e, f.l, f.k, f.data)
	o := f.b.osd(nl.OSDs[1])
	o.mu.Lock()
	fresh := o.fresh[ShardName(nl.DataID, 1)]
	o.mu.Unlock()
	if fresh {
		t.Fatal("Repair rewrote shard 1 under a fresh-name hint: a crash could replace the referenced file with a torn one")
	}
}
