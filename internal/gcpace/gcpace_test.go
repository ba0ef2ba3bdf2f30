package gcpace

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

const mib = 1 << 20

func TestTarget(t *testing.T) {
	for _, c := range []struct {
		live, other, headroom, ceiling, want int64
	}{
		{live: 100 * mib, other: 10 * mib, headroom: 16 * mib, want: 126 * mib},
		// An eighth of a large live heap beats the fixed headroom.
		{live: 1024 * mib, other: 10 * mib, headroom: 16 * mib, want: 1162 * mib},
		{live: 100 * mib, other: 10 * mib, headroom: 16 * mib, ceiling: 120 * mib, want: 120 * mib},
		{live: 0, other: 0, headroom: 16 * mib, want: 16 * mib},
	} {
		if got := Target(c.live, c.other, c.headroom, c.ceiling); got != c.want {
			t.Errorf("Target(%d, %d, %d, %d) = %d, want %d", c.live, c.other, c.headroom, c.ceiling, got, c.want)
		}
	}
}

// waitLimit collects until the controller has set a limit above floor,
// and returns it. The controller reacts to a collection from a cleanup
// goroutine, so this gives it a bounded number of collections.
func waitLimit(t *testing.T, c *Controller, floor int64) int64 {
	t.Helper()
	for range 1000 {
		runtime.GC()
		runtime.Gosched()
		if l := c.Limit(); l > floor {
			return l
		}
	}
	t.Fatalf("limit still %d after 1000 collections, want above %d", c.Limit(), floor)
	return 0
}

// TestControllerFollowsLiveHeap: after a collection the limit is the live
// heap plus the headroom plus the runtime's other memory, so the runtime's
// heap goal (where the next collection is due) is the live heap plus about
// the headroom, where GOGC=100 alone puts it at twice the live heap. Stop
// restores the limit found at Start.
func TestControllerFollowsLiveHeap(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for this test process")
	}
	const live, headroom = 96 * mib, 16 * mib
	hold := make([][]byte, live/mib)
	for i := range hold {
		hold[i] = make([]byte, mib)
	}
	c := Start(Options{Headroom: headroom})
	defer c.Stop()
	limit := waitLimit(t, c, live+headroom-1)
	if limit < live+headroom || limit > live+headroom+64*mib {
		t.Fatalf("limit %d MiB for a live heap of %d MiB and %d MiB headroom", limit/mib, live/mib, headroom/mib)
	}
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: mLive}}
	metrics.Read(s)
	goal, marked := int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
	// The test binary's own heap is a few MiB beside the held 96 MiB.
	if goal > marked+headroom+4*mib || goal >= 2*live {
		t.Errorf("heap goal %d MiB for %d MiB marked live, want at most live + %d MiB", goal/mib, marked/mib, headroom/mib)
	}
	runtime.KeepAlive(hold)

	c.Stop()
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("after Stop the limit is %d, want %d", got, prev)
	}
}

// TestFixedLimitOnly: without a headroom the ceiling alone is applied,
// and restored.
func TestFixedLimitOnly(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	c := Start(Options{Limit: 1 << 40})
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("limit %d, want %d", got, int64(1<<40))
	}
	c.Stop()
	c.Stop() // a second Stop does nothing
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("after Stop the limit is %d, want %d", got, prev)
	}
	off := Start(Options{})
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("with nothing to apply the limit became %d", got)
	}
	off.Stop()
}
