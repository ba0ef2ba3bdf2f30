package maint

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage"
)

// fakeClock advances only when slept on, so rate checks take no real time.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
		c.slept += d
	}
	return nil
}

// fakeObj is one object of fakeObjects: its size, how many shards of six
// are healthy, and whether it can be rebuilt.
type fakeObj struct {
	bucket, key string
	size        int64
	healthy     int
	lost        bool
}

// fakeObjects is an object layer whose heal rebuilds missing shards
// through the throttle.
type fakeObjects struct {
	mu      sync.Mutex
	objs    []*fakeObj
	walks   int
	gate    chan struct{} // when set, every HealObject waits for a receive
	queued  int           // heal-queue records left
	gcBytes int64         // reclaimed by each RunGC
	calls   map[string]int
	walkErr error
}

func (f *fakeObjects) count(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
}

func (f *fakeObjects) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeObjects) HealObject(ctx context.Context, bucket, key string, o object.HealOptions) (object.HealResult, error) {
	f.count("heal")
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return object.HealResult{}, ctx.Err()
		}
	}
	f.mu.Lock()
	var obj *fakeObj
	for _, x := range f.objs {
		if x.bucket == bucket && x.key == key {
			obj = x
		}
	}
	f.mu.Unlock()
	if obj == nil {
		return object.HealResult{}, storage.ErrNotFound
	}
	shard := obj.size / 4
	if o.Deep && o.Throttle != nil {
		if err := o.Throttle(ctx, int(shard*int64(obj.healthy))); err != nil {
			return object.HealResult{}, err
		}
	}
	res := object.HealResult{Checked: 1}
	if obj.lost {
		res.Unrecoverable = 1
		res.ByRedundancy = map[object.ShardHealth]object.Count{{Healthy: obj.healthy, Shards: 6}: {Objects: 1, Bytes: obj.size}}
		return res, nil
	}
	if miss := 6 - obj.healthy; miss > 0 {
		if o.Throttle != nil {
			if err := o.Throttle(ctx, int(shard*int64(miss))); err != nil {
				return object.HealResult{}, err
			}
		}
		res.ShardsRepaired, res.BytesRewritten = miss, shard*int64(miss)
		f.mu.Lock()
		obj.healthy = 6
		f.mu.Unlock()
	}
	res.ByRedundancy = map[object.ShardHealth]object.Count{{Healthy: 6, Shards: 6}: {Objects: 1, Bytes: obj.size}}
	return res, nil
}

func (f *fakeObjects) HealQueued(ctx context.Context, o object.HealOptions, max int) (object.HealResult, error) {
	f.count("queue")
	f.mu.Lock()
	n := min(f.queued, max)
	f.queued -= n
	f.mu.Unlock()
	return object.HealResult{Checked: n, ShardsRepaired: n, BytesRewritten: int64(n) * 100}, nil
}

func (f *fakeObjects) WalkObjects(ctx context.Context, fn func(bucket, key string) error) error {
	f.mu.Lock()
	f.walks++
	objs := append([]*fakeObj{}, f.objs...)
	err := f.walkErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := fn(o.bucket, o.key); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeObjects) RunGC(ctx context.Context, now time.Time) (object.GCResult, error) {
	f.count("gc")
	return object.GCResult{Records: 1, Shards: 6, Bytes: f.gcBytes}, nil
}

func (f *fakeObjects) CollectOrphans(ctx context.Context, grace time.Duration) (object.GCResult, error) {
	f.count("orphans")
	return object.GCResult{}, errors.New("fake: no orphan walk")
}

// fakeMeta keeps Put values in a map; nothing but Get and Put is used.
type fakeMeta struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (m *fakeMeta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[ns+"/"+key]
	if !ok {
		return nil, 0, storage.ErrNotFound
	}
	return v, 1, nil
}

func (m *fakeMeta) Put(ctx context.Context, ns, key string, val []byte, c storage.Cond) (storage.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string][]byte{}
	}
	m.m[ns+"/"+key] = append([]byte{}, val...)
	return 1, nil
}

func (m *fakeMeta) Delete(ctx context.Context, ns, key string, c storage.Cond) error {
	return errors.New("fake: delete")
}

func (m *fakeMeta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	return nil, errors.New("fake: list")
}

// quietLogger discards everything.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
