package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/storage"
)

func TestVerifyStates(t *testing.T) {
	size := 3*testChunk + 7
	tests := []struct {
		name    string
		damage  func(f *fixture) Layout
		shallow ShardState // state of shard 1 in a shallow check
		deep    ShardState
	}{
		{"healthy", func(f *fixture) Layout { return f.l }, ShardOK, ShardOK},
		{"deleted", func(f *fixture) Layout { f.dropShard(1); return f.l }, ShardMissing, ShardMissing},
		{"not written", func(f *fixture) Layout {
			l := f.l
			l.OSDs = slices.Clone(l.OSDs)
			l.OSDs[1] = ""
			return l
		}, ShardMissing, ShardMissing},
		{"unknown OSD", func(f *fixture) Layout {
			l := f.l
			l.OSDs = slices.Clone(l.OSDs)
			l.OSDs[1] = "gone"
			return l
		}, ShardMissing, ShardMissing},
		{"bit rot", func(f *fixture) Layout { f.flipPiece(1, 2); return f.l }, ShardOK, ShardCorrupt},
		{"truncated", func(f *fixture) Layout { f.setShard(1, f.shard(1)[:100]); return f.l }, ShardCorrupt, ShardCorrupt},
		{"one byte too long", func(f *fixture) Layout { f.setShard(1, append(bytes.Clone(f.shard(1)), 0)); return f.l }, ShardCorrupt, ShardCorrupt},
		{"another shard index", func(f *fixture) Layout { f.setShard(1, bytes.Clone(f.shard(2))); return f.l }, ShardOK, ShardCorrupt},
		{"another object", func(f *fixture) Layout {
			other := put(t, f.e, f.k, randBytes(8, size)).Layout
			f.setShard(1, bytes.Clone(f.b.osd(other.OSDs[1]).file(ShardName(other.DataID, 1))))
			return f.l
		}, ShardOK, ShardCorrupt},
		{"unhealthy OSD", func(f *fixture) Layout { f.b.osd(f.l.OSDs[1]).unhealthy = true; return f.l }, ShardUnavailable, ShardUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, size)
			l := tc.damage(f)
			for _, deep := range []bool{false, true} {
				rep, err := f.e.Verify(context.Background(), l, VerifyOptions{Deep: deep})
				if err != nil {
					t.Fatal(err)
				}
				want := tc.shallow
				if deep {
					want = tc.deep
				}
				for j, st := range rep.States {
					if j == 1 && st != want || j != 1 && st != ShardOK {
						t.Fatalf("deep=%v: states %v, want shard 1 %v and the rest ok", deep, rep.States, want)
					}
				}
				if !deep && rep.BytesRead != 0 {
					t.Fatalf("shallow check read %d bytes", rep.BytesRead)
				}
			}
		})
	}
}

func TestVerifyDeepReadsAndThrottles(t *testing.T) {
	f := newFixture(t, 3*testChunk+7)
	var throttled atomic.Int64
	rep, err := f.e.Verify(context.Background(), f.l, VerifyOptions{Deep: true,
		Throttle: func(_ context.Context, n int) error { throttled.Add(int64(n)); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if want := 6 * f.g.shardSize(); rep.BytesRead != want || throttled.Load() != want {
		t.Fatalf("read %d, throttled %d, want %d", rep.BytesRead, throttled.Load(), want)
	}
	stop := errors.New("stop")
	if _, err := f.e.Verify(context.Background(), f.l, VerifyOptions{Deep: true,
		Throttle: func(context.Context, int) error { return stop }}); !errors.Is(err, stop) {
		t.Fatalf("Verify with a failing throttle = %v", err)
	}
}

func TestVerifyHungShard(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{ShardTimeout: 100 * time.Millisecond})
	k := newKey(t)
	l := put(t, mustEngine(t, b, Options{ShardTimeout: -1}), k, randBytes(1, 2*testChunk)).Layout
	release := make(chan struct{})
	defer close(release)
	hung := b.osd(l.OSDs[3])
	hung.mu.Lock()
	hung.blockRead = release
	hung.mu.Unlock()
	rep, err := e.Verify(context.Background(), l, VerifyOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.States[3] != ShardUnavailable || len(rep.Bad()) != 1 {
		t.Fatalf("states %v, want shard 3 unavailable", rep.States)
	}
}

// repairAndCheck verifies l, repairs what is bad, and checks that every
// shard then verifies deep and the bytes read back exact.
func repairAndCheck(t *testing.T, e *Engine, l Layout, k *aead.Key, data []byte) Layout {
	t.Helper()
	ctx := context.Background()
	rep, err := e.Verify(ctx, l, VerifyOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	bad := rep.Bad()
	targets, err := e.RepairTargets(l, bad)
	if err != nil {
		t.Fatal(err)
	}
	nl, st, err := e.Repair(ctx, l, bad, targets, nil)
	if err != nil {
		t.Fatalf("Repair(%v): %v", bad, err)
	}
	g := newGeometry(l.Size, l.ChunkSize, l.K, l.M)
	if st.Shards != len(bad) || st.BytesWritten != int64(len(bad))*g.shardSize() {
		t.Fatalf("stats %+v for %d shards", st, len(bad))
	}
	rep, err = e.Verify(ctx, nl, VerifyOptions{Deep: true})
	if err != nil {
		t.Fatal(err)
	}
	if b := rep.Bad(); len(b) != 0 {
		t.Fatalf("after repair: states %v", rep.States)
	}
	if got := get(t, e, nl, k, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("repaired object reads back wrong")
	}
	return nl
}

func TestRepairRoundTrip(t *testing.T) {
	size := 4*testChunk + 13
	tests := []struct {
		name   string
		damage func(f *fixture) Layout
	}{
		{"nothing", func(f *fixture) Layout { return f.l }},
		{"two deleted", func(f *fixture) Layout { f.dropShard(0); f.dropShard(4); return f.l }},
		{"two rotten", func(f *fixture) Layout { f.flipPiece(1, 0); f.flipPiece(5, 4); return f.l }},
		{"foreign and missing", func(f *fixture) Layout {
			f.setShard(2, bytes.Clone(f.shard(3)))
			f.dropShard(5)
			return f.l
		}},
		{"from another object", func(f *fixture) Layout {
			other := put(t, f.e, f.k, randBytes(11, size)).Layout
			f.setShard(4, bytes.Clone(f.b.osd(other.OSDs[4]).file(ShardName(other.DataID, 4))))
			return f.l
		}},
		{"truncated and shifted", func(f *fixture) Layout {
			f.setShard(0, f.shard(0)[:50])
			f.setShard(3, bytes.Clone(f.shard(3)[f.g.frameOffset(1):]))
			return f.l
		}},
		{"rot in different stripes of three shards", func(f *fixture) Layout {
			// Verify calls all three corrupt; each stripe still has five
			// good pieces, so Repair rebuilds all three.
			f.flipPiece(0, 1)
			f.flipPiece(2, 2)
			f.flipPiece(4, 3)
			return f.l
		}},
		{"not written", func(f *fixture) Layout {
			l := f.l
			l.OSDs = slices.Clone(l.OSDs)
			f.dropShard(3)
			l.OSDs[3] = ""
			return l
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, size)
			l := tc.damage(f)
			nl := repairAndCheck(t, f.e, l, f.k, f.data)
			for j, id := range nl.OSDs {
				if l.OSDs[j] != "" && id != l.OSDs[j] {
					t.Fatalf("shard %d moved from healthy %s to %s", j, l.OSDs[j], id)
				}
			}
		})
	}
}

// TestRepairElsewhere: the recorded OSD is down; the shard is rebuilt on a
// healthy OSD holding no other shard, in the rack that lost it.
func TestRepairElsewhere(t *testing.T) {
	b := newMemBackend(9)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	data := randBytes(9, 3*testChunk+1)
	l := put(t, e, k, data).Layout
	down := b.osd(l.OSDs[2])
	down.unhealthy = true
	nl := repairAndCheck(t, e, l, k, data)
	if nl.OSDs[2] == down.id || slices.Index(nl.OSDs, nl.OSDs[2]) != 2 {
		t.Fatalf("rebuilt shard 2 on %s; layout %q", nl.OSDs[2], nl.OSDs)
	}
	if got := b.osd(nl.OSDs[2]).rack; got != down.rack {
		t.Fatalf("rebuilt in %s, want the rack that lost it (%s)", got, down.rack)
	}
	if _, err := e.RepairTargets(l, []int{2, 2}); !errors.Is(err, ErrLayout) {
		t.Fatalf("duplicate index: %v", err)
	}
}

// TestRepairReplacesInPlace: a corrupt file under the shard's name on the
// recorded OSD is replaced by the commit.
func TestRepairReplacesInPlace(t *testing.T) {
	f := newFixture(t, 2*testChunk+5)
	f.flipPiece(3, 1)
	old := f.shard(3)
	nl := repairAndCheck(t, f.e, f.l, f.k, f.data)
	if nl.OSDs[3] != f.l.OSDs[3] || bytes.Equal(f.shard(3), old) {
		t.Fatal("corrupt shard not replaced in place")
	}
}

func TestRepairUnrecoverable(t *testing.T) {
	b := newMemBackend(9)
	e := mustEngine(t, b, Options{})
	k := newKey(t)
	l := put(t, e, k, randBytes(9, 2*testChunk)).Layout
	for _, j := range []int{0, 1, 2} {
		b.osd(l.OSDs[j]).unhealthy = true
	}
	before := b.committed()
	targets, err := e.RepairTargets(l, []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Repair(context.Background(), l, []int{0, 1, 2}, targets, nil); !errors.Is(err, ErrUnrecoverable) {
		t.Fatalf("Repair with 3 of 6 lost = %v", err)
	}
	if n := b.committed(); n != before {
		t.Fatalf("%d shards committed by a failed repair", n-before)
	}
	if n := b.open(); n != 0 {
		t.Fatalf("%d writers left open", n)
	}
}

func TestRepairNoTarget(t *testing.T) {
	f := newFixture(t, 100)
	f.b.osd(f.l.OSDs[0]).unhealthy = true
	if _, err := f.e.RepairTargets(f.l, []int{0}); !errors.Is(err, storage.ErrPlacement) {
		t.Fatalf("RepairTargets with no free OSD = %v", err)
	}
}

func BenchmarkVerifyDeep(b *testing.B) {
	be := newMemBackend(6)
	e := mustEngine(b, be, Options{ChunkSize: 1 << 20})
	data := randBytes(1, 8<<20)
	l := put(b, e, newKey(b), data).Layout
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Verify(context.Background(), l, VerifyOptions{Deep: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRepair(b *testing.B) {
	for _, bad := range [][]int{{1}, {0, 5}} {
		b.Run(fmt.Sprintf("shards=%d", len(bad)), func(b *testing.B) {
			be := newMemBackend(6)
			e := mustEngine(b, be, Options{ChunkSize: 1 << 20})
			data := randBytes(1, 8<<20)
			l := put(b, e, newKey(b), data).Layout
			targets, err := e.RepairTargets(l, bad)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := e.Repair(context.Background(), l, bad, targets, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
