package storagetest

import (
	"context"
	"fmt"

	"github.com/tasmaniancloud/rustfs/storage"
)

// NewDiscard returns a Backend of n OSDs over three racks that accept and
// drop every byte and hold nothing. Engine benchmarks and allocation tests
// use it to measure the pipeline with storage costing nothing. It has no
// Meta.
func NewDiscard(n int) storage.Backend {
	b := &discardBackend{}
	for i := range n {
		b.osds = append(b.osds, discardOSD{id: fmt.Sprintf("null%d", i), rack: fmt.Sprintf("rack%d", i%3)})
	}
	return b
}

type discardBackend struct{ osds []storage.OSD }

func (b *discardBackend) OSDs() []storage.OSD { return b.osds }
func (b *discardBackend) Meta() storage.Meta  { return nil }
func (b *discardBackend) Close() error        { return nil }

type discardOSD struct{ id, rack string }

func (o discardOSD) ID() string   { return o.id }
func (o discardOSD) Rack() string { return o.rack }
func (o discardOSD) Create(context.Context, string) (storage.ShardWriter, error) {
	return discardWriter{}, nil
}
func (o discardOSD) Open(context.Context, string) (storage.ShardReader, error) {
	return nil, storage.ErrNotFound
}
func (o discardOSD) Remove(context.Context, string) error { return nil }

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) Commit() error               { return nil }
func (discardWriter) Abort() error                { return nil }
