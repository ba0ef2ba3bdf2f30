package faultinject

import (
	"context"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// OSD is a storage.OSD with programmable faults. Its health (storage.Checker)
// and shard walking (storage.Walker) pass through to the wrapped OSD.
type OSD struct {
	*Injector
	inner storage.OSD
}

var (
	_ storage.OSD     = (*OSD)(nil)
	_ storage.Checker = (*OSD)(nil)
	_ storage.Walker  = (*OSD)(nil)
)

// Inner is the wrapped OSD.
func (o *OSD) Inner() storage.OSD { return o.inner }

// ID is the wrapped OSD's ID.
func (o *OSD) ID() string { return o.inner.ID() }

// Rack is the wrapped OSD's rack.
func (o *OSD) Rack() string { return o.inner.Rack() }

// Healthy reports the wrapped OSD's own view of its health.
func (o *OSD) Healthy() bool { return storage.Healthy(o.inner) }

// Walk enumerates the wrapped OSD's shards (no faults: scrubbers see the
// disk as it is).
func (o *OSD) Walk(ctx context.Context, fn func(name string, size int64, modified time.Time) error) error {
	w, ok := o.inner.(storage.Walker)
	if !ok {
		return errNoWalk
	}
	return w.Walk(ctx, fn)
}

// Create starts a shard unless a fault says otherwise.
func (o *OSD) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	switch out, err := o.apply(OpCreate, ctx.Done()); out {
	case failed:
		return nil, err
	case dropped:
		return &shardWriter{osd: o, dropAll: true}, nil
	}
	w, err := o.inner.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	return &shardWriter{osd: o, inner: w}, nil
}

// Open opens a committed shard unless a fault says otherwise.
func (o *OSD) Open(ctx context.Context, name string) (storage.ShardReader, error) {
	if out, err := o.apply(OpOpen, ctx.Done()); out != proceed {
		if err == nil {
			err = o.fail(OpOpen, EIO)
		}
		return nil, err
	}
	r, err := o.inner.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &shardReader{osd: o, inner: r}, nil
}

// Remove deletes a shard unless a fault says otherwise.
func (o *OSD) Remove(ctx context.Context, name string) error {
	switch out, err := o.apply(OpRemove, ctx.Done()); out {
	case failed:
		return err
	case dropped:
		return nil
	}
	return o.inner.Remove(ctx, name)
}

// shardWriter applies OpWrite and OpCommit faults. dropAll marks a writer
// whose Create was dropped: it accepts everything and stores nothing.
type shardWriter struct {
	osd     *OSD
	inner   storage.ShardWriter
	dropAll bool
}

func (w *shardWriter) Write(p []byte) (int, error) {
	if w.dropAll {
		return len(p), nil
	}
	switch out, err := w.osd.apply(OpWrite, nil); out {
	case failed:
		return 0, err
	case dropped:
		return len(p), nil
	}
	return w.inner.Write(p)
}

func (w *shardWriter) Commit() error {
	if w.dropAll {
		return nil
	}
	switch out, err := w.osd.apply(OpCommit, nil); out {
	case failed:
		_ = w.inner.Abort()
		return err
	case dropped:
		return w.inner.Abort()
	}
	return w.inner.Commit()
}

func (w *shardWriter) Abort() error {
	if w.dropAll {
		return nil
	}
	return w.inner.Abort()
}

// shardReader applies OpRead faults to every ReadAt.
type shardReader struct {
	osd   *OSD
	inner storage.ShardReader
}

func (r *shardReader) ReadAt(p []byte, off int64) (int, error) {
	if out, err := r.osd.apply(OpRead, nil); out != proceed {
		if err == nil {
			err = r.osd.fail(OpRead, EIO)
		}
		return 0, err
	}
	return r.inner.ReadAt(p, off)
}

func (r *shardReader) Size() int64  { return r.inner.Size() }
func (r *shardReader) Close() error { return r.inner.Close() }
