package dataplane

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/tasmaniancloud/rustfs/erasure"
)

// TestFormatIndependentDecode decodes stored shards by following
// docs/FORMAT.md step by step, without the engine's read path.
func TestFormatIndependentDecode(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	const c = testChunk
	data := randBytes(77, 2*c+1000)
	l := put(t, e, k, data).Layout

	stream, err := k.Stream(l.DataID, l.Part)
	if err != nil {
		t.Fatal(err)
	}
	pFull := (c + 16 + l.K - 1) / l.K
	count := (len(data) + c - 1) / c
	var out []byte
	for i := range count {
		n := min(c, len(data)-i*c)
		ctLen := n + 16
		p := (ctLen + l.K - 1) / l.K
		off := i * (pFull + 4)
		var ct []byte
		for j := range l.K {
			shard := b.osd(l.OSDs[j]).file(hex.EncodeToString(l.DataID[:]) + "." + string(rune('0'+j)))
			frame := shard[off : off+p+4]
			if binary.LittleEndian.Uint32(frame[p:]) != erasure.PieceCRC(frame[:p]) {
				t.Fatalf("chunk %d shard %d: CRC32C trailer mismatch", i, j)
			}
			ct = append(ct, frame[:p]...)
		}
		if pad := ct[ctLen:]; !bytes.Equal(pad, make([]byte, len(pad))) {
			t.Fatalf("chunk %d: padding is not zero", i)
		}
		pt, err := stream.Open(nil, ct[:ctLen], uint64(i), i == count-1)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		out = append(out, pt...)
	}
	if !bytes.Equal(out, data) {
		t.Fatal("independent decode differs from the data put")
	}
}

// TestFormatGolden pins the stored bytes of one object (fixed key, data ID
// and data): any change to sealing, padding, parity or framing shows here.
func TestFormatGolden(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	e.ids = bytes.NewReader(bytes.Repeat([]byte{0xd1}, 16))
	k := newKey(t)
	data := randBytes(2026, testChunk+321)
	l := put(t, e, k, data).Layout
	h := sha256.New()
	for j, id := range l.OSDs {
		h.Write(b.osd(id).file(ShardName(l.DataID, j)))
	}
	const want = "d5d5541b75fabc029fab7621086fd6a357143719dd1723359b107df327f47bd2"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("shard digest %s, want %s", got, want)
	}
}
