package metrics

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tasmaniancloud/rustfs/storage"
)

// osdOps are the timed shard operations, the "op" label of the OSD metrics.
var osdOps = [...]string{"create", "write", "commit", "open", "read", "remove"}

const (
	opCreate = iota
	opWrite
	opCommit
	opOpen
	opRead
	opRemove
)

// osdObs holds one OSD's resolved observers and counters, so the hot path
// (a frame write, a ReadAt) does no label lookup and no allocation.
type osdObs struct {
	lat  [len(osdOps)]prometheus.Observer
	errs [len(osdOps)]prometheus.Counter
}

// observe records one operation that started at t.
func (o *osdObs) observe(op int, t time.Time, err error) {
	o.lat[op].Observe(time.Since(t).Seconds())
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		o.errs[op].Inc()
	}
}

// WrapBackend returns b with every OSD timed into the per-OSD latency and
// error metrics; Meta and Close pass through. With a nil m it returns b.
// Wrapped OSDs keep the optional storage.Checker, storage.Walker and
// storage.TempSweeper behaviour of the OSDs they wrap, and Unwrap returns
// the original.
func (m *Metrics) WrapBackend(b storage.Backend) storage.Backend {
	if m == nil {
		return b
	}
	return &backend{Backend: b, m: m, byOSD: map[storage.OSD]storage.OSD{}}
}

// backend wraps OSDs lazily (a backend may add OSDs after start) and once.
type backend struct {
	storage.Backend
	m     *Metrics
	mu    sync.Mutex
	byOSD map[storage.OSD]storage.OSD
}

// OSDs implements storage.Backend.
func (b *backend) OSDs() []storage.OSD {
	in := b.Backend.OSDs()
	out := make([]storage.OSD, len(in))
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, o := range in {
		w, ok := b.byOSD[o]
		if !ok {
			w = b.m.WrapOSD(o)
			b.byOSD[o] = w
		}
		out[i] = w
	}
	return out
}

// WrapOSD returns o timed into the per-OSD metrics (see WrapBackend).
func (m *Metrics) WrapOSD(o storage.OSD) storage.OSD {
	if m == nil {
		return o
	}
	base := &osd{OSD: o}
	for i, op := range osdOps {
		base.obs.lat[i] = m.osdLatency.WithLabelValues(o.ID(), op)
		base.obs.errs[i] = m.osdErrors.WithLabelValues(o.ID(), op)
	}
	// Keep exactly the optional interfaces o has: callers type-assert them.
	w, isW := o.(storage.Walker)
	s, isS := o.(storage.TempSweeper)
	switch {
	case isW && isS:
		return &struct {
			*osd
			storage.Walker
			storage.TempSweeper
		}{base, w, s}
	case isW:
		return &struct {
			*osd
			storage.Walker
		}{base, w}
	case isS:
		return &struct {
			*osd
			storage.TempSweeper
		}{base, s}
	}
	return base
}

// osd is a timed OSD.
type osd struct {
	storage.OSD
	obs osdObs
}

// Unwrap returns the OSD being timed.
func (o *osd) Unwrap() storage.OSD { return o.OSD }

// Healthy forwards storage.Checker (healthy when the OSD cannot tell).
func (o *osd) Healthy() bool { return storage.Healthy(o.OSD) }

// Create implements storage.OSD.
func (o *osd) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	t := time.Now()
	w, err := o.OSD.Create(ctx, name)
	o.obs.observe(opCreate, t, err)
	if err != nil {
		return nil, err
	}
	return &writer{ShardWriter: w, obs: &o.obs}, nil
}

// Open implements storage.OSD.
func (o *osd) Open(ctx context.Context, name string) (storage.ShardReader, error) {
	t := time.Now()
	r, err := o.OSD.Open(ctx, name)
	o.obs.observe(opOpen, t, err)
	if err != nil {
		return nil, err
	}
	return &reader{ShardReader: r, obs: &o.obs}, nil
}

// Remove implements storage.OSD.
func (o *osd) Remove(ctx context.Context, name string) error {
	t := time.Now()
	err := o.OSD.Remove(ctx, name)
	o.obs.observe(opRemove, t, err)
	return err
}

// writer times frame writes and the commit.
type writer struct {
	storage.ShardWriter
	obs *osdObs
}

// Write implements io.Writer.
func (w *writer) Write(p []byte) (int, error) {
	t := time.Now()
	n, err := w.ShardWriter.Write(p)
	w.obs.observe(opWrite, t, err)
	return n, err
}

// Commit implements storage.ShardWriter.
func (w *writer) Commit() error {
	t := time.Now()
	err := w.ShardWriter.Commit()
	w.obs.observe(opCommit, t, err)
	return err
}

// reader times reads.
type reader struct {
	storage.ShardReader
	obs *osdObs
}

// ReadAt implements io.ReaderAt; io.EOF at the end is not an error.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	t := time.Now()
	n, err := r.ShardReader.ReadAt(p, off)
	oerr := err
	if errors.Is(err, io.EOF) {
		oerr = nil
	}
	r.obs.observe(opRead, t, oerr)
	return n, err
}
