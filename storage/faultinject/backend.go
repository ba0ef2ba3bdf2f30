package faultinject

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Backend is a storage.Backend whose OSDs and Meta pass every call through
// an Injector. With no rules installed it behaves exactly like the wrapped
// backend.
type Backend struct {
	inner storage.Backend
	osds  []*OSD
	byID  map[string]*OSD
	meta  *Meta
}

var (
	_ storage.Backend     = (*Backend)(nil)
	_ storage.TempSweeper = (*Backend)(nil)
)

// Wrap wraps b. The wrapper owns b: Close closes it.
func Wrap(b storage.Backend) *Backend {
	w := &Backend{inner: b, byID: map[string]*OSD{}}
	for _, o := range b.OSDs() {
		wo := &OSD{inner: o, Injector: newInjector(o.ID())}
		w.osds = append(w.osds, wo)
		w.byID[o.ID()] = wo
	}
	w.meta = &Meta{inner: b.Meta(), Injector: newInjector("meta")}
	return w
}

// Inner is the wrapped backend.
func (b *Backend) Inner() storage.Backend { return b.inner }

// OSDs returns the wrapped OSDs in the inner backend's order.
func (b *Backend) OSDs() []storage.OSD {
	out := make([]storage.OSD, len(b.osds))
	for i, o := range b.osds {
		out[i] = o
	}
	return out
}

// OSD returns the wrapper of OSD id, or nil.
func (b *Backend) OSD(id string) *OSD { return b.byID[id] }

// FaultOSDs returns the OSD wrappers, to program them.
func (b *Backend) FaultOSDs() []*OSD { return append([]*OSD(nil), b.osds...) }

// Meta returns the wrapped metadata store.
func (b *Backend) Meta() storage.Meta { return b.meta }

// FaultMeta returns the metadata wrapper, to program it.
func (b *Backend) FaultMeta() *Meta { return b.meta }

// Close releases hung calls and closes the wrapped backend.
func (b *Backend) Close() error {
	b.ClearAll()
	return b.inner.Close()
}

// ClearAll removes every rule of every target and releases hung calls.
func (b *Backend) ClearAll() {
	for _, o := range b.osds {
		o.ClearAll()
	}
	b.meta.ClearAll()
}

// WaitIdle returns once no call is held by a Hang or Slow rule on any
// target (after ClearAll releases the hung ones, Slow ones still sleep out
// their delay), or with ctx's error. A test waits for it before it checks
// the disk, so a late write of an abandoned shard cannot land afterwards.
func (b *Backend) WaitIdle(ctx context.Context) error {
	for {
		n := b.meta.Waiting()
		for _, o := range b.osds {
			n += o.Waiting()
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("faultinject: %d calls still held: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Injected is the number of faults injected so far, all targets together.
func (b *Backend) Injected() int64 {
	n := b.meta.Total()
	for _, o := range b.osds {
		n += o.Total()
	}
	return n
}

// SweepTemp passes through to the wrapped backend when it sweeps.
func (b *Backend) SweepTemp(ctx context.Context, cutoff time.Time) (int, int64, error) {
	ts, ok := b.inner.(storage.TempSweeper)
	if !ok {
		return 0, 0, fmt.Errorf("faultinject: wrapped backend %T does not sweep temporary files", b.inner)
	}
	return ts.SweepTemp(ctx, cutoff)
}

// errNoWalk reports a wrapped OSD that cannot enumerate its shards.
var errNoWalk = errors.New("faultinject: wrapped OSD cannot walk its shards")
