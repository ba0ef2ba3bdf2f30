package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tasmaniancloud/rustfs/storage"
)

// memBackend is an in-memory storage.Backend with failure injection, for
// tests that must not touch disks.
type memBackend struct {
	osds []*memOSD
}

func newMemBackend(n int) *memBackend {
	b := &memBackend{}
	for i := range n {
		b.osds = append(b.osds, &memOSD{id: fmt.Sprintf("osd%d", i), rack: fmt.Sprintf("rack%d", i%3),
			files: map[string][]byte{}, failWriteAt: -1})
	}
	return b
}

func (b *memBackend) OSDs() []storage.OSD {
	out := make([]storage.OSD, len(b.osds))
	for i, o := range b.osds {
		out[i] = o
	}
	return out
}
func (b *memBackend) Meta() storage.Meta { return nil }
func (b *memBackend) Close() error       { return nil }

// osd returns the fake OSD with the given ID.
func (b *memBackend) osd(id string) *memOSD {
	for _, o := range b.osds {
		if o.id == id {
			return o
		}
	}
	return nil
}

// committed counts committed shards on all OSDs.
func (b *memBackend) committed() int {
	n := 0
	for _, o := range b.osds {
		o.mu.Lock()
		n += len(o.files)
		o.mu.Unlock()
	}
	return n
}

// open counts writers neither committed nor aborted.
func (b *memBackend) open() int {
	n := 0
	for _, o := range b.osds {
		o.mu.Lock()
		n += o.pending
		o.mu.Unlock()
	}
	return n
}

// memOSD is one fake OSD. The fail* fields inject errors.
type memOSD struct {
	id, rack string

	mu          sync.Mutex
	files       map[string][]byte
	pending     int
	failCreate  error
	failWriteAt int64 // fail the write that reaches this many bytes (-1: never)
	failCommit  error
	block       chan struct{}    // when non-nil, writes wait for it or for ctx
	blockRead   chan struct{}    // when non-nil, reads wait for it (no ctx: a hung disk)
	onRead      func()           // when non-nil, called before each read
	unhealthy   bool             // reported through storage.Checker
	hangCommit  chan struct{}    // when non-nil, Commit and Create wait for it (no ctx)
	hints       map[string]int64 // storage.ShardSize seen by Create, per shard name
	fresh       map[string]bool  // storage.FreshShard seen by the last Create, per shard name
}

// Healthy implements storage.Checker.
func (o *memOSD) Healthy() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.unhealthy
}

func (o *memOSD) ID() string   { return o.id }
func (o *memOSD) Rack() string { return o.rack }

func (o *memOSD) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failCreate != nil {
		return nil, o.failCreate
	}
	o.pending++
	if n, ok := storage.ShardSize(ctx); ok {
		if o.hints == nil {
			o.hints = map[string]int64{}
		}
		o.hints[name] = n
	}
	if o.fresh == nil {
		o.fresh = map[string]bool{}
	}
	o.fresh[name] = storage.FreshShard(ctx)
	return &memWriter{o: o, ctx: ctx, name: name}, nil
}

func (o *memOSD) Open(ctx context.Context, name string) (storage.ShardReader, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.files[name]
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", o.id, name, storage.ErrNotFound)
	}
	return memReader{bytes.NewReader(f), o, ctx}, nil
}

func (o *memOSD) Remove(ctx context.Context, name string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.files, name)
	return nil
}

// file returns the committed shard (shared, not copied: tests may mutate it).
func (o *memOSD) file(name string) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.files[name]
}

// setFile replaces a committed shard.
func (o *memOSD) setFile(name string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[name] = b
}

type memWriter struct {
	o    *memOSD
	ctx  context.Context
	name string
	buf  bytes.Buffer
	done bool
}

var errInjected = errors.New("injected failure")

func (w *memWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	block, failAt := w.o.block, w.o.failWriteAt
	w.o.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-w.ctx.Done():
			return 0, w.ctx.Err()
		}
	}
	if w.done {
		return 0, errors.New("write after commit/abort")
	}
	if failAt >= 0 && int64(w.buf.Len()+len(p)) >= failAt {
		return 0, errInjected
	}
	return w.buf.Write(p)
}

func (w *memWriter) Commit() error {
	w.o.mu.Lock()
	hang := w.o.hangCommit
	w.o.mu.Unlock()
	if hang != nil {
		<-hang
	}
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.done {
		return errors.New("commit after commit/abort")
	}
	w.done = true
	w.o.pending--
	if w.o.failCommit != nil {
		return w.o.failCommit
	}
	w.o.files[w.name] = bytes.Clone(w.buf.Bytes())
	return nil
}

func (w *memWriter) Abort() error {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if !w.done {
		w.done = true
		w.o.pending--
	}
	return nil
}

// memReader fails reads once its Open context ends, as a network backend's
// reader (RADOS) does.
type memReader struct {
	*bytes.Reader
	o   *memOSD
	ctx context.Context
}

func (r memReader) ReadAt(p []byte, off int64) (int, error) {
	r.o.mu.Lock()
	block, onRead := r.o.blockRead, r.o.onRead
	r.o.mu.Unlock()
	if onRead != nil {
		onRead()
	}
	if block != nil {
		<-block
	}
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.Reader.ReadAt(p, off)
}

func (r memReader) Close() error { return nil }
