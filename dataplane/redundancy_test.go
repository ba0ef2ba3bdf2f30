package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

// put3x writes data as 3x replication (K=1, M=2).
func put3x(t testing.TB, e *Engine, data []byte) Layout {
	t.Helper()
	res, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(data),
		Size: int64(len(data)), K: 1, M: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res.Layout
}

func TestReplication3x(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	for _, n := range []int{0, 1, testChunk, 3*testChunk + 5} {
		t.Run(fmt.Sprintf("size=%d", n), func(t *testing.T) {
			data := randBytes(uint64(n)+3, n)
			l := put3x(t, e, data)
			if l.K != 1 || l.M != 2 || len(l.OSDs) != 3 {
				t.Fatalf("layout %d+%d over %q", l.K, l.M, l.OSDs)
			}
			racks := map[string]bool{}
			for _, id := range l.OSDs {
				racks[b.osd(id).rack] = true
			}
			if len(racks) != 3 {
				t.Fatalf("copies in %d racks, want 3", len(racks))
			}
			if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
				t.Fatal("3x read back wrong")
			}
			if n == 0 {
				return
			}
			// Any two copies lost: the third serves every range.
			for lost := range 3 {
				f := &fixture{b: b, e: e, k: k, data: data, l: l, g: newGeometry(l.Size, l.ChunkSize, 1, 2)}
				saved := [][]byte{bytes.Clone(f.shard(lost)), bytes.Clone(f.shard((lost + 1) % 3))}
				f.dropShard(lost)
				f.flipPiece((lost+1)%3, f.g.count-1)
				off := int64(n / 2)
				if got := get(t, e, l, k, off, -1); !bytes.Equal(got, data[off:]) {
					t.Fatalf("with copies %d and %d bad: wrong bytes", lost, (lost+1)%3)
				}
				nl := repairAndCheck(t, e, l, k, data)
				if fmt.Sprint(nl.OSDs) != fmt.Sprint(l.OSDs) {
					t.Fatalf("repair moved copies: %q → %q", l.OSDs, nl.OSDs)
				}
				f.setShard(lost, saved[0])
				f.setShard((lost+1)%3, saved[1])
			}
		})
	}
}

// TestStreamQuorum: a stream's quorum is Options.WriteQuorum when it fits
// its k+m, else k+1.
func TestStreamQuorum(t *testing.T) {
	tests := []struct {
		opt, k, m, want int
	}{
		{0, 0, 0, 5}, // engine 4+2, default quorum
		{6, 0, 0, 6}, // configured quorum fits
		{0, 1, 2, 2}, // 3x: 5 does not fit 1+2
		{6, 1, 2, 2}, // nor does 6
		{4, 3, 3, 4}, // fits 3+3
		{0, 2, 1, 3}, // k+1 = n
		{0, 5, 4, 5}, // 5 fits 5+4
		{4, 5, 4, 6}, // 4 < k=5: k+1
	}
	for _, tc := range tests {
		e := mustEngine(t, newMemBackend(9), Options{WriteQuorum: tc.opt})
		_, _, q, err := e.redundancy(tc.k, tc.m)
		if err != nil || q != tc.want {
			t.Fatalf("quorum %d for %d+%d with option %d: %d, %v", tc.want, tc.k, tc.m, tc.opt, q, err)
		}
	}
	e := mustEngine(t, newMemBackend(6), Options{})
	if _, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(nil), K: 5, M: 2}); !errors.Is(err, ErrLayout) {
		t.Fatalf("5+2 on 6 OSDs = %v", err)
	}
}

// TestReplicationQuorum: 3x keeps acknowledging with one copy's OSD failing
// (2 of 3) and refuses with two.
func TestReplicationQuorum(t *testing.T) {
	b := newMemBackend(3)
	e := mustEngine(t, b, Options{K: 1, M: 2})
	data := randBytes(2, 2*testChunk)
	b.osds[1].failCreate = errInjected
	l := put3x(t, e, data)
	if l.OSDs[0] == "" && l.OSDs[1] == "" && l.OSDs[2] == "" {
		t.Fatal("nothing written")
	}
	if got := get(t, e, l, newKey(t), 0, -1); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	b.osds[2].failCreate = errInjected
	if _, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(data), Size: int64(len(data))}); !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("3x with two OSDs failing = %v", err)
	}
}
