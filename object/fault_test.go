package object

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage"
)

// faults programs failures into a test backend: OSDs that refuse new
// shards, and a Meta that "crashes" (fails every mutation from the n-th on)
// or refuses writes to one namespace.
type faults struct {
	down      [8]atomic.Bool // by OSD index
	mu        sync.Mutex
	mutations int
	crashAt   int    // 0 = never; else mutations >= crashAt fail
	failNS    string // Put to this namespace fails
}

var errInjected = errors.New("injected fault")

// withFaults wraps the test backend and rebuilds the engine over it.
func withFaults(f *faults) func(*Options) {
	return func(o *Options) {
		fb := faultBackend{Backend: o.Backend, f: f}
		eng, err := dataplane.New(fb, dataplane.Options{ChunkSize: testChunk})
		if err != nil {
			panic(err)
		}
		o.Backend, o.Engine = fb, eng
	}
}

type faultBackend struct {
	storage.Backend
	f *faults
}

func (b faultBackend) OSDs() []storage.OSD {
	in := b.Backend.OSDs()
	out := make([]storage.OSD, len(in))
	for i, o := range in {
		out[i] = faultOSD{OSD: o, down: &b.f.down[i]}
	}
	return out
}

func (b faultBackend) Meta() storage.Meta { return faultMeta{Meta: b.Backend.Meta(), f: b.f} }

type faultOSD struct {
	storage.OSD
	down *atomic.Bool
}

func (o faultOSD) Path() string {
	if p, ok := o.OSD.(interface{ Path() string }); ok {
		return p.Path()
	}
	return ""
}

func (o faultOSD) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	if o.down.Load() {
		return nil, errInjected
	}
	return o.OSD.Create(ctx, name)
}

type faultMeta struct {
	storage.Meta
	f *faults
}

// mutate counts a mutation and reports whether it must fail.
func (f *faults) mutate(ns string, put bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mutations++
	if f.crashAt > 0 && f.mutations >= f.crashAt {
		return errInjected
	}
	if put && f.failNS != "" && strings.HasPrefix(ns, f.failNS) {
		return errInjected
	}
	return nil
}

func (m faultMeta) Put(ctx context.Context, ns, key string, val []byte, c storage.Cond) (storage.Version, error) {
	if err := m.f.mutate(ns, true); err != nil {
		return 0, err
	}
	return m.Meta.Put(ctx, ns, key, val, c)
}

func (m faultMeta) Delete(ctx context.Context, ns, key string, c storage.Cond) error {
	if err := m.f.mutate(ns, false); err != nil {
		return err
	}
	return m.Meta.Delete(ctx, ns, key, c)
}
