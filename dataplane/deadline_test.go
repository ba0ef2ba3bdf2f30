package dataplane

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestHungShardRead: one OSD's reads never return. GET must return the
// right bytes well within a few deadlines, and name the shard degraded.
func TestHungShardRead(t *testing.T) {
	base := runtime.NumGoroutine()
	b := newMemBackend(6)
	// The deadline is generous for a loaded -race run, far below the hang.
	e := mustEngine(t, b, Options{ShardTimeout: 200 * time.Millisecond, ReadAhead: 2})
	k := newKey(t)
	data := randBytes(3, 5*testChunk+3)
	l := put(t, mustEngine(t, b, Options{ShardTimeout: -1}), k, data).Layout
	hung := b.osd(l.OSDs[1])
	release := make(chan struct{})
	hung.mu.Lock()
	hung.blockRead = release
	hung.mu.Unlock()

	start := time.Now()
	rd, err := e.Open(context.Background(), l, k, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := rd.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), data) {
		t.Fatal("wrong bytes around a hung shard")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("GET took %v with a 200ms shard deadline", el)
	}
	if d := rd.Degraded(); !slices.Contains(d, 1) {
		t.Fatalf("Degraded() = %v, want shard 1", d)
	}
	rd.Close()
	close(release)
	settleGoroutines(t, base)
}

// TestHungShardWrite: one OSD's writes never return. PUT must be
// acknowledged with 5 of 6 shards ("" for the hung one) and read back.
func TestHungShardWrite(t *testing.T) {
	base := runtime.NumGoroutine()
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{ShardTimeout: 250 * time.Millisecond})
	k := newKey(t)
	hung := b.osds[2]
	hung.block = make(chan struct{}) // never closed: the Write waits for ctx
	data := randBytes(4, 6*testChunk+5)
	start := time.Now()
	l := put(t, e, k, data).Layout
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("PUT took %v with a 250ms shard deadline", el)
	}
	dropped := slices.Index(l.OSDs, "")
	if dropped < 0 || slices.Contains(l.OSDs, hung.id) || slices.Index(l.OSDs[dropped+1:], "") >= 0 {
		t.Fatalf("layout OSDs %q, want exactly the hung %s dropped", l.OSDs, hung.id)
	}
	if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	settleGoroutines(t, base)
	if n := b.open(); n != 0 {
		t.Fatalf("%d shard writers left open", n)
	}
	if len(hung.files) != 0 {
		t.Fatalf("hung OSD holds %d committed shards", len(hung.files))
	}
}

// TestHungShardsBelowQuorum: two hung OSDs leave 4 of 6 shards, below the
// quorum of 5: the PUT fails promptly and leaves nothing committed.
func TestHungShardsBelowQuorum(t *testing.T) {
	base := runtime.NumGoroutine()
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{ShardTimeout: 30 * time.Millisecond})
	b.osds[0].block = make(chan struct{})
	b.osds[4].block = make(chan struct{})
	data := randBytes(5, 4*testChunk)
	_, err := e.Put(context.Background(), PutRequest{Key: newKey(t), Body: bytes.NewReader(data), Size: int64(len(data))})
	if !errors.Is(err, ErrWriteQuorum) {
		t.Fatalf("err = %v, want ErrWriteQuorum", err)
	}
	settleGoroutines(t, base)
	if n := b.committed(); n != 0 {
		t.Fatalf("%d shards left committed", n)
	}
}

// TestUnhealthyOSD: an OSD that reports itself unhealthy gets no shard
// writer (the PUT acks 5/6 at once) and is read last: a GET whose other
// shards suffice never touches it, even if its reads would hang.
func TestUnhealthyOSD(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{ShardTimeout: time.Hour})
	k := newKey(t)
	data := randBytes(6, 3*testChunk+1)
	l := put(t, e, k, data).Layout
	sick := b.osd(l.OSDs[0])
	release := make(chan struct{})
	defer close(release)
	sick.mu.Lock()
	sick.unhealthy, sick.blockRead = true, release
	sick.mu.Unlock()
	if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	l2 := put(t, e, k, data).Layout
	if slices.Contains(l2.OSDs, sick.id) || slices.Index(l2.OSDs, "") < 0 {
		t.Fatalf("PUT placed on unhealthy %s: %q", sick.id, l2.OSDs)
	}
}

// TestHungCommit: one OSD's commit hangs. The PUT acks without it, and when
// the commit finally lands the shard is removed (no layout names it).
func TestHungCommit(t *testing.T) {
	b := newMemBackend(6)
	e := mustEngine(t, b, Options{ShardTimeout: 250 * time.Millisecond})
	hung := b.osds[5]
	release := make(chan struct{})
	hung.hangCommit = release
	data := randBytes(7, testChunk+3)
	l := put(t, e, newKey(t), data).Layout
	if slices.Contains(l.OSDs, hung.id) || slices.Index(l.OSDs, "") < 0 {
		t.Fatalf("layout %q names the hung OSD %s", l.OSDs, hung.id)
	}
	if got := get(t, e, l, newKey(t), 0, -1); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	hung.mu.Lock()
	pending := hung.pending
	hung.mu.Unlock()
	if pending != 1 {
		t.Fatalf("%d writers pending on the hung OSD, want its one hung commit", pending)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		hung.mu.Lock()
		n, pending := len(hung.files), hung.pending
		hung.mu.Unlock()
		if n == 0 && pending == 0 { // committed late, then removed
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("late commit left %d shards on %s", n, hung.id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
