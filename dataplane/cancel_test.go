package dataplane

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// TestCancelledReadMarksNoShard: reads still in flight when the caller
// cancels fail with the context's error, which says nothing about the
// shards: Degraded stays empty, so the object layer queues no heal of a
// healthy object (a hung-up GET or copy on RADOS reported every shard it
// was reading as unavailable, and the heal that followed kept the server
// busy after the client left).
func TestCancelledReadMarksNoShard(t *testing.T) {
	for _, timeout := range []time.Duration{-1, 0} { // direct reads; reads through the deadline servers
		f := newFixture(t, 12*testChunk+5)
		f.e = mustEngine(t, f.b, Options{ReadAhead: 2, ShardTimeout: timeout})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rd, err := f.e.Open(ctx, f.l, f.k, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		// The fourth read after Open cancels the request while in flight.
		var reads atomic.Int32
		for _, id := range f.l.OSDs {
			o := f.b.osd(id)
			o.mu.Lock()
			o.onRead = func() {
				if reads.Add(1) == 4 {
					cancel()
				}
			}
			o.mu.Unlock()
		}
		if _, err := rd.WriteTo(io.Discard); !errors.Is(err, context.Canceled) {
			t.Fatalf("ShardTimeout %v: WriteTo = %v, want context.Canceled", timeout, err)
		}
		if bad := rd.Degraded(); len(bad) != 0 {
			t.Errorf("ShardTimeout %v: a cancelled read reported shards %v as degraded", timeout, bad)
		}
		rd.Close()
	}
}
