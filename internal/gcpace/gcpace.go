// Package gcpace bounds how much garbage the Go runtime lets a server's
// heap hold, by moving the soft memory limit (debug.SetMemoryLimit) after
// every collection to what the live heap needs plus a headroom.
//
// Why: with GOGC's default pacing the heap may grow to twice the live heap
// before the next collection. A gateway's live heap is mostly its data
// pipelines' pooled buffers (stripes, chunks, aligned shard blocks: some
// 115 MB during one multipart upload with 4 parts in flight), so the
// runtime let small garbage (metadata records, requests, hashes: ~10 MB
// per GiB uploaded) pile up and collected once, when a 10 GiB upload
// completed; the process's RSS rose with that garbage (156 MiB at 1 GiB,
// 242 MiB at 10 GiB) and stayed there, since the scavenger returns freed
// pages only above the heap goal (docs/PERFORMANCE.md, "RSS during a 10
// GiB upload, where it went").
//
// The limit follows the live heap, so a server whose live heap grows (many
// concurrent uploads) is not collected continuously as under a fixed
// GOMEMLIMIT: the heap may always grow by at least an eighth of the live
// heap between collections. The runtime's memory limit is process-wide, so
// the program that owns the process starts one Controller (cmd/rustfs for
// `rustfs server`); libraries and tests leave it alone.
package gcpace

import (
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultHeadroom is the default heap growth allowed above the live heap
// before a collection. With ~10 MB of garbage per GiB of multipart upload
// the heap is collected every ~1.6 GiB; measured in docs/PERFORMANCE.md.
const DefaultHeadroom = 16 << 20

// liveShare is the least growth allowed, as a fraction of the live heap
// (1/liveShare): GOGC=12.5 for heaps over liveShare × headroom, so a large
// live heap is never collected back to back.
const liveShare = 8

// Options configure a Controller.
type Options struct {
	// Headroom is how far the heap may grow above the live heap (as the
	// last collection found it) before the next collection: the larger of
	// Headroom and an eighth of the live heap. Zero or negative turns the
	// live-heap tracking off (only Limit applies).
	Headroom int64
	// Limit is a fixed ceiling on the runtime's memory (the soft limit as
	// GOMEMLIMIT sets it); 0 keeps the limit found at Start (GOMEMLIMIT's,
	// else none).
	Limit int64
	// Logger receives the start line; nil discards it.
	Logger *slog.Logger
}

// Controller moves the runtime's soft memory limit after each collection.
type Controller struct {
	headroom, ceiling int64
	prev              int64 // the limit in place at Start, restored by Stop
	kick              chan struct{}
	done              chan struct{}
	wg                sync.WaitGroup
	samples           []metrics.Sample

	mu      sync.Mutex
	stopped bool
	last    int64 // the limit last set (tests)
}

// The runtime/metrics read after each collection.
const (
	mLive     = "/gc/heap/live:bytes"
	mTotal    = "/memory/classes/total:bytes"
	mReleased = "/memory/classes/heap/released:bytes"
	mFree     = "/memory/classes/heap/free:bytes"
	mObjects  = "/memory/classes/heap/objects:bytes"
)

// Start applies o to this process and returns the running controller;
// Stop restores the limit found at Start. With neither a headroom nor a
// limit it changes nothing.
func Start(o Options) *Controller {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prev := debug.SetMemoryLimit(-1)
	ceiling := o.Limit
	if ceiling <= 0 && prev < math.MaxInt64 {
		ceiling = prev // GOMEMLIMIT from the environment
	}
	c := &Controller{
		headroom: o.Headroom, ceiling: max(ceiling, 0), prev: prev,
		kick: make(chan struct{}, 1), done: make(chan struct{}),
		samples: []metrics.Sample{{Name: mLive}, {Name: mTotal}, {Name: mReleased}, {Name: mFree}, {Name: mObjects}},
	}
	switch {
	case c.headroom > 0:
		c.adjust()
		c.wg.Go(c.loop)
		c.arm()
		log.Info("rustfs: heap pacing", "headroom_bytes", c.headroom, "memory_limit_bytes", c.ceiling)
	case c.ceiling > 0:
		c.set(c.ceiling)
		log.Info("rustfs: memory limit", "memory_limit_bytes", c.ceiling)
	}
	return c
}

// Stop ends the tracking and restores the limit found at Start.
func (c *Controller) Stop() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	c.mu.Unlock()
	close(c.done)
	c.wg.Wait()
	if c.headroom > 0 || c.ceiling > 0 {
		debug.SetMemoryLimit(c.prev)
	}
}

// Limit is the soft memory limit the controller last set (0: none yet).
func (c *Controller) Limit() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// gcTick is an allocation that dies at once: its cleanup runs after the
// collection that finds it, and arms the next one. The pointer keeps it
// out of the tiny allocator, whose blocks are freed together.
type gcTick struct {
	_ *gcTick
	_ [8]byte
}

// arm attaches the next collection's notification.
func (c *Controller) arm() {
	runtime.AddCleanup(new(gcTick), func(c *Controller) {
		c.mu.Lock()
		stopped := c.stopped
		c.mu.Unlock()
		if stopped {
			return
		}
		select {
		case c.kick <- struct{}{}:
		default:
		}
		c.arm()
	}, c)
}

// loop recomputes the limit after each collection until Stop.
func (c *Controller) loop() {
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
			c.adjust()
		}
	}
}

// adjust sets the limit from the runtime's current figures.
func (c *Controller) adjust() {
	metrics.Read(c.samples)
	v := func(i int) int64 {
		if c.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(c.samples[i].Value.Uint64())
	}
	live, total, released, free, objects := v(0), v(1), v(2), v(3), v(4)
	// What the runtime holds besides heap objects and free pages: stacks,
	// span and GC metadata, unused span tails. The limit covers it too.
	other := max(total-released-free-objects, 0)
	c.set(Target(live, other, c.headroom, c.ceiling))
}

// set applies limit unless stopped.
func (c *Controller) set(limit int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	debug.SetMemoryLimit(limit)
	c.last = limit
}

// Target is the soft memory limit for a live heap of live bytes and other
// runtime memory of other bytes: the heap may grow by the larger of
// headroom and live/8 before a collection; ceiling, when positive, caps
// the result.
func Target(live, other, headroom, ceiling int64) int64 {
	t := other + live + max(headroom, live/liveShare)
	if ceiling > 0 {
		t = min(t, ceiling)
	}
	return t
}
