package dataplane

import (
	"bytes"
	"context"
	"testing"
)

// FuzzGetDamagedShards stores an object, lets the fuzzer overwrite or
// truncate parts of two shards (untrusted bytes from disk), and requires Get
// to return either exactly the object or an error after a correct prefix —
// never a panic, never wrong bytes.
func FuzzGetDamagedShards(f *testing.F) {
	f.Add(uint8(0), uint32(10), []byte{1, 2, 3}, uint8(3), uint32(0))
	f.Add(uint8(5), uint32(70000), []byte{0xff}, uint8(1), uint32(17))
	f.Add(uint8(2), uint32(0), bytes.Repeat([]byte{0}, 64), uint8(2), uint32(1<<20))
	b := newMemBackend(6)
	e := mustEngine(f, b, Options{ReadAhead: 2})
	k := newKey(f)
	data := randBytes(5, 3*testChunk+11)
	l := put(f, e, k, data).Layout
	orig := make([][]byte, 6)
	for j := range orig {
		orig[j] = bytes.Clone(b.osd(l.OSDs[j]).file(ShardName(l.DataID, j)))
	}
	f.Fuzz(func(t *testing.T, ja uint8, off uint32, patch []byte, jb uint8, cut uint32) {
		for j := range orig {
			b.osd(l.OSDs[j]).setFile(ShardName(l.DataID, j), bytes.Clone(orig[j]))
		}
		a := int(ja % 6)
		sa := b.osd(l.OSDs[a]).file(ShardName(l.DataID, a))
		if o := int(off) % (len(sa) + 1); o < len(sa) {
			copy(sa[o:], patch)
		}
		bj := int(jb % 6)
		sb := b.osd(l.OSDs[bj]).file(ShardName(l.DataID, bj))
		b.osd(l.OSDs[bj]).setFile(ShardName(l.DataID, bj), sb[:int(cut)%(len(sb)+1)])

		var buf bytes.Buffer
		n, err := e.Get(context.Background(), l, k, 0, -1, &buf)
		if n != int64(buf.Len()) || !bytes.Equal(buf.Bytes(), data[:n]) {
			t.Fatalf("Get wrote %d bytes that are not the object's prefix (err %v)", n, err)
		}
		if err == nil && n != int64(len(data)) {
			t.Fatalf("Get returned %d of %d bytes without error", n, len(data))
		}
		// Two damaged shards are always within m = 2: the read must succeed.
		if err != nil {
			t.Fatalf("Get failed with two damaged shards: %v", err)
		}
	})
}
