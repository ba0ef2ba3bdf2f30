package dataplane

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

func TestRoundTripSizes(t *testing.T) {
	const c = testChunk
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{Workers: 2})
	k := newKey(t)
	// A "random" large size from a fixed seed: deterministic, but not a
	// multiple of anything the code special-cases.
	large := 8*c + rand.New(rand.NewPCG(2026, 11)).IntN(32*c)
	for _, n := range []int{0, 1, c - 1, c, c + 1, 3*c + 7, 5*c + 12345, large} {
		t.Run(fmt.Sprintf("size=%d", n), func(t *testing.T) {
			data := randBytes(uint64(n), n)
			res := put(t, e, k, data)
			l := res.Layout
			if l.Size != int64(n) || l.ChunkSize != c || l.K != 4 || l.M != 2 || len(l.OSDs) != 6 {
				t.Fatalf("layout %+v", l)
			}
			for j, id := range l.OSDs {
				if id == "" {
					t.Fatalf("shard %d not written", j)
				}
				g := newGeometry(l.Size, l.ChunkSize, l.K, l.M)
				if got := len(b.osd(id).file(ShardName(l.DataID, j))); int64(got) != g.shardSize() {
					t.Fatalf("shard %d is %d bytes, want %d", j, got, g.shardSize())
				}
			}
			if want := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)); res.CRC32C != want {
				t.Fatalf("CRC32C %08x, want %08x", res.CRC32C, want)
			}
			if m := md5.Sum(data); !bytes.Equal(res.Sums["md5"], m[:]) {
				t.Fatalf("md5 %x, want %x", res.Sums["md5"], m)
			}
			if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
				t.Fatalf("GET returned %d bytes, differing from the %d put", len(got), n)
			}
		})
	}
}

func TestUnknownSizeAndRackSpread(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	data := randBytes(3, 2*testChunk+5)
	res, err := e.Put(context.Background(), PutRequest{Key: k, Body: bytes.NewReader(data), Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Layout.Size != int64(len(data)) {
		t.Fatalf("size %d, want %d", res.Layout.Size, len(data))
	}
	if res.CRC32C != 0 { // not asked for: no pass over the body for it
		t.Fatalf("CRC32C %08x computed without PutRequest.CRC32C", res.CRC32C)
	}
	racks := map[string]int{}
	for _, id := range res.Layout.OSDs {
		racks[b.osd(id).rack]++
	}
	for r, n := range racks {
		if n > 2 {
			t.Fatalf("rack %s holds %d shards, more than m=2", r, n)
		}
	}
	if got := get(t, e, res.Layout, k, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("round trip with unknown size differs")
	}
}

// TestRangeBoundaries reads ranges starting and ending at every chunk
// boundary and every shard-piece boundary (±1) of a multi-chunk object.
func TestRangeBoundaries(t *testing.T) {
	const c = testChunk
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{ReadAhead: 3})
	k := newKey(t)
	size := 4*c + 777
	data := randBytes(11, size)
	l := put(t, e, k, data).Layout
	g := newGeometry(l.Size, l.ChunkSize, l.K, l.M)

	points := map[int64]bool{0: true, int64(size): true}
	for i := uint64(0); i < g.count; i++ {
		start := int64(i) * c
		p := int64(g.piece(i))
		for j := int64(0); j <= 4; j++ {
			for _, d := range []int64{-1, 0, 1} {
				if x := start + j*p + d; x >= 0 && x <= int64(size) {
					points[x] = true
				}
			}
		}
	}
	for x := range points {
		for _, rg := range [][2]int64{{x, -1}, {0, x}, {x, 1}, {x, 2}, {x, c}, {x, 2*c + 1}} {
			off, n := rg[0], rg[1]
			if off > int64(size) {
				continue
			}
			end := int64(size)
			if n >= 0 && off+n < end {
				end = off + n
			}
			if got := get(t, e, l, k, off, n); !bytes.Equal(got, data[off:end]) {
				t.Fatalf("range [%d,+%d): got %d bytes, want %d (or content differs)", off, n, len(got), end-off)
			}
		}
	}
	if got := get(t, e, l, k, int64(size), 10); len(got) != 0 {
		t.Fatalf("read at EOF returned %d bytes", len(got))
	}
	for _, off := range []int64{-1, int64(size) + 1} {
		if _, err := e.Get(context.Background(), l, k, off, 1, &bytes.Buffer{}); !errors.Is(err, ErrRange) {
			t.Fatalf("offset %d: err = %v, want ErrRange", off, err)
		}
	}
}

func TestGetRejectsBadLayout(t *testing.T) {
	e := mustEngine(t, newMemBackend(6), Options{})
	k := newKey(t)
	l := put(t, e, k, []byte("hello")).Layout
	for name, mut := range map[string]func(*Layout){
		"osd count":  func(l *Layout) { l.OSDs = l.OSDs[:5] },
		"chunk size": func(l *Layout) { l.ChunkSize = 10 },
		"negative":   func(l *Layout) { l.Size = -1 },
		"k zero":     func(l *Layout) { l.K = 0 },
	} {
		bad := l
		bad.OSDs = append([]string(nil), l.OSDs...)
		mut(&bad)
		if _, err := e.Get(context.Background(), bad, k, 0, -1, &bytes.Buffer{}); !errors.Is(err, ErrLayout) {
			t.Errorf("%s: err = %v, want ErrLayout", name, err)
		}
	}
}

func TestDelete(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	l := put(t, e, k, randBytes(1, 1000)).Layout
	if b.committed() != 6 {
		t.Fatalf("%d shards committed, want 6", b.committed())
	}
	if err := e.Delete(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if b.committed() != 0 {
		t.Fatalf("%d shards left after Delete", b.committed())
	}
	if err := e.Delete(context.Background(), l); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	l.OSDs[0] = "nope"
	if err := e.Delete(context.Background(), l); err == nil {
		t.Fatal("Delete with an unknown OSD succeeded")
	}
}

func TestOptions(t *testing.T) {
	b := newMemBackend(6)
	for name, o := range map[string]Options{
		"chunk too small": {ChunkSize: 1 << 10},
		"chunk too big":   {ChunkSize: 32 << 20},
		"quorum too low":  {WriteQuorum: 3},
		"quorum too high": {WriteQuorum: 7},
		"too many shards": {K: 5, M: 2},
	} {
		if _, err := New(b, o); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	e, err := New(b, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if o := e.Options(); o.InFlight != 8 || o.WriteQuorum != 5 || o.ReadAhead != 4 || o.ChunkSize != 1<<20 {
		t.Fatalf("defaults %+v", o)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestShardName(t *testing.T) {
	id := [16]byte{0xde, 0xad, 0xbe, 0xef}
	if got, want := ShardName(id, 5), "deadbeef000000000000000000000000.5"; got != want {
		t.Fatalf("ShardName = %q, want %q", got, want)
	}
}

// TestDefaultChunkSize round-trips around the default 1 MiB chunk.
func TestDefaultChunkSize(t *testing.T) {
	b := newMemBackend(6)
	e, err := New(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := newKey(t)
	const c = 1 << 20
	for _, n := range []int{c - 1, c, c + 1, 3*c + 7} {
		data := randBytes(uint64(n), n)
		l := put(t, e, k, data).Layout
		if l.ChunkSize != c {
			t.Fatalf("chunk size %d, want %d", l.ChunkSize, c)
		}
		if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
			t.Fatalf("size %d: round trip differs", n)
		}
		off := int64(c - 2)
		if got := get(t, e, l, k, off, 5); !bytes.Equal(got, data[off:min(int(off)+5, n)]) {
			t.Fatalf("size %d: range across the chunk boundary differs", n)
		}
	}
}
