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
			// Spelled out from docs/FORMAT.md §5 rather than through
			// erasure.Identity, so the test pins the format.
			if binary.LittleEndian.Uint32(frame[p:]) != erasure.PieceCRC(frame[:p])^formatMask(l.DataID, j, uint64(i)) {
				t.Fatalf("chunk %d shard %d: tag trailer mismatch", i, j)
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
// Format v2: frame tags are identity-bound (docs/FORMAT.md §5).
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
	const want = "e5722b1d361fb55a59030db5602820d9a01bd053958343c832431ff7be3df40e"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("shard digest %s, want %s", got, want)
	}
}

// formatMask is mask(dataID, j, i) exactly as docs/FORMAT.md §5 writes it.
func formatMask(d [16]byte, j int, i uint64) uint32 {
	mix := func(x uint64) uint64 {
		x ^= x >> 30
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 27
		x *= 0x94d049bb133111eb
		return x ^ x>>31
	}
	a := mix(binary.LittleEndian.Uint64(d[:8]) ^ 0x243f6a8885a308d3)
	x := mix(a ^ uint64(j)*0x9e3779b97f4a7c15)
	x = mix(x ^ binary.LittleEndian.Uint64(d[8:]))
	x = mix(x ^ i)
	return uint32(x) ^ uint32(x>>32)
}
