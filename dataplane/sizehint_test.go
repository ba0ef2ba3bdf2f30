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
