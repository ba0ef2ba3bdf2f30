package faultinject

import (
	"context"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Meta is a storage.Meta with programmable faults.
type Meta struct {
	*Injector
	inner storage.Meta
}

var _ storage.Meta = (*Meta)(nil)

// Inner is the wrapped metadata store.
func (m *Meta) Inner() storage.Meta { return m.inner }

// Get reads a value unless a fault says otherwise.
func (m *Meta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if out, err := m.apply(OpMetaGet, ctx.Done()); out != proceed {
		if err == nil {
			err = m.fail(OpMetaGet, EIO)
		}
		return nil, 0, err
	}
	return m.inner.Get(ctx, ns, key)
}

// Put stores a value unless a fault says otherwise; a dropped Put reports
// version 1 and stores nothing.
func (m *Meta) Put(ctx context.Context, ns, key string, val []byte, cond storage.Cond) (storage.Version, error) {
	switch out, err := m.apply(OpMetaPut, ctx.Done()); out {
	case failed:
		return 0, err
	case dropped:
		return 1, nil
	}
	return m.inner.Put(ctx, ns, key, val, cond)
}

// Delete removes a key unless a fault says otherwise.
func (m *Meta) Delete(ctx context.Context, ns, key string, cond storage.Cond) error {
	switch out, err := m.apply(OpMetaDelete, ctx.Done()); out {
	case failed:
		return err
	case dropped:
		return nil
	}
	return m.inner.Delete(ctx, ns, key, cond)
}

// List lists keys unless a fault says otherwise.
func (m *Meta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	if out, err := m.apply(OpMetaList, ctx.Done()); out != proceed {
		if err == nil {
			err = m.fail(OpMetaList, EIO)
		}
		return nil, err
	}
	return m.inner.List(ctx, ns, prefix, after, limit)
}
